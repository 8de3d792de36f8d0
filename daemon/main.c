/*
 * tinyfleetd: the gateway daemon. Placeholder main until the loop lands.
 */
#include <stdio.h>

#include "log.h"

int
main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	log_info("tinyfleetd %s", TF_VERSION);
	return 0;
}
