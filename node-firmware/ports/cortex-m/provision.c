/*
 * provision.c: the provisioning record (provision.h) and its check.
 */
#include "ports/cortex-m/provision.h"

#include "agent/hash.h"

/*
 * Unprovisioned default. `used` and the section keep it in the image at the
 * address node.ld gives the page, whatever the code references.
 */
__attribute__((section(CM_PROVISION_SECTION), used)) const struct cm_provision cm_provision = {
        .magic = CM_PROVISION_MAGIC,
        .version = CM_PROVISION_VERSION,
        .node_id = 0,
        .key = {0},
        .crc = 0,
};

int
cm_provision_check(const struct cm_provision *p)
{
	if (p->magic != CM_PROVISION_MAGIC || p->version != CM_PROVISION_VERSION)
		return -1;
	if (p->node_id == 0)
		return -2;
	if (agent_crc32(0, p, CM_PROVISION_CRC_SPAN) != p->crc)
		return -1;
	return 0;
}
