/*
 * model.S: embeds a .tflite file into flash, 16-byte aligned, between the
 * symbols cm_model and cm_model_end. The file is named at build time with
 * -DCM_MODEL_FILE='"path"' (the built-in model of node.elf, or the model under
 * test in a bench image).
 */
	.section .model, "a"
	.balign 16
	.global cm_model
cm_model:
	.incbin CM_MODEL_FILE
	.global cm_model_end
cm_model_end:
	.balign 4
