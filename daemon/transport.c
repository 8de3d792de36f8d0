/*
 * transport: the table of link kinds. Add a kind by writing
 * transport_<name>.c with a struct transport_ops and listing it here.
 */
#include <string.h>

#include "transport.h"

static const struct transport_ops *const transport_table[] = {
        &transport_udp_ops,
        &transport_serial_ops,
};

const struct transport_ops *
transport_find(const char *name)
{
	for (size_t i = 0; i < sizeof(transport_table) / sizeof(transport_table[0]); i++)
		if (strcmp(transport_table[i]->name, name) == 0)
			return transport_table[i];
	return NULL;
}
