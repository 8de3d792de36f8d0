/*
 * sensor.h: the node's synthetic sensor, shaped for the running model.
 *
 * The board has no real sensor in QEMU, so the port synthesises a vibration
 * window: three interleaved axes of a running machine (two harmonics plus a
 * little noise), with an injected anomaly (higher amplitude, a bearing tone)
 * in about one window in 20. The same (node id, sample index) always gives the
 * same bytes. Values are quantized with the request's scale and zero point
 * for int8, uint8 and int16 inputs; any shape works (the data is laid out in
 * the tensor's flat order).
 */
#ifndef TF_CM_SENSOR_H
#define TF_CM_SENSOR_H

#include <stddef.h>
#include <stdint.h>

#include "ports/port.h"

/* Fills buf (len bytes, the tensor size) for req. 0 or PORT_EINVAL. */
int cm_sensor_fill(uint32_t node_id, const struct port_sensor_req *req, uint8_t *buf, size_t len);

/* 1 when sample `sample` of node_id carries the injected anomaly. */
int cm_sensor_is_anomaly(uint32_t node_id, uint32_t sample);

#endif
