# Peer comparison (scripts/peers/memory-vs-peers): `make peers` installs
# likwid, mbw and sysbench, then prints hwbench's memory bandwidth against
# theirs at the same threads and working set. Not part of `make test`: it
# takes minutes and its figures depend on what else the machine is doing.
.PHONY: peers
peers: build
	@scripts/dev/install-deps likwid mbw sysbench python3
	@scripts/peers/memory-vs-peers

# Time off the CPU (scripts/peers/loaded-vs-quiet): `make peers-loaded` runs
# memory.latency beside the independent chase.c at 4, 16 and 256 MiB, and
# memory.c2c and gpu.dispatch, quiet and beside one busy process per CPU
# (LOADED_COMPETITOR: sh loops, or stress-ng --cpu 1), LOADED_ROUNDS rounds
# alternating; it fails when hwbench and chase.c differ by more than 5% quiet
# or a headline moves by more than 10% under the load. Not part of `make
# test`: it takes minutes and needs an otherwise quiet machine.
LOADED_ROUNDS ?= 5
LOADED_COMPETITOR ?= sh

.PHONY: peers-loaded
peers-loaded: build
	@scripts/dev/install-deps python3 mesa-vulkan-drivers $(if $(filter stress-ng,$(LOADED_COMPETITOR)),stress-ng)
	@scripts/peers/loaded-vs-quiet --rounds $(LOADED_ROUNDS) --competitor $(LOADED_COMPETITOR)
