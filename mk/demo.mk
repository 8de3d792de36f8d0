# `make demo`: the main job on an embedded default. Filled in as the daemon and
# the simulated fleet land; tests/demo/run is the script it runs.
demo: deps
	@$(MAKE) --no-print-directory all
	@B=$(B) tests/demo/run
