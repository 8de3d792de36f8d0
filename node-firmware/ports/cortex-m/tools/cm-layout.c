/*
 * cm-layout: prints how the agent lays out node.elf's flash device, using the
 * agent's own layout code on the host (agent/layout.c): the model slot
 * capacity first (the largest model a node can take over the air), then the
 * regions. `make bench-cortex-m` reads the first number.
 *
 * The geometry is node.ld's STORE region less the format-marker sector
 * (ports/cortex-m/flash.h); both are passed in by the build as
 * CM_STORE_BYTES and CM_FLASH_SECTOR.
 */
#include <stdio.h>

#include "agent/layout.h"
#include "agent/slots.h"
#include "ports/cortex-m/flash.h"

#ifndef CM_STORE_BYTES
#define CM_STORE_BYTES (768u * 1024u)
#endif

int
main(void)
{
	struct port_flash_info fi = {CM_STORE_BYTES - CM_FLASH_SECTOR, CM_FLASH_SECTOR};
	struct agent_layout lay;

	if (agent_layout_compute(&fi, &lay) < 0) {
		fprintf(stderr, "cm-layout: the store cannot hold the agent's regions\n");
		return 1;
	}
	printf("%u slot_capacity\n", agent_slot_capacity(&lay));
	printf("device %u sector %u state@%u outbox@%u (2 x %u) slotA@%u slotB@%u (%u each)\n",
	       fi.size, lay.sector, lay.state_off, lay.outbox_off, lay.outbox_half, lay.slot_off[0],
	       lay.slot_off[1], lay.slot_len);
	return 0;
}
