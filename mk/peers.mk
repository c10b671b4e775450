# Peer comparison (scripts/peers/memory-vs-peers): `make peers` installs
# likwid, mbw and sysbench, then prints hwbench's memory bandwidth against
# theirs at the same threads and working set. Not part of `make test`: it
# takes minutes and its figures depend on what else the machine is doing.
.PHONY: peers
peers: build
	@scripts/dev/install-deps likwid mbw sysbench python3
	@scripts/peers/memory-vs-peers
