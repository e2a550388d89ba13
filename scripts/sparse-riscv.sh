#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# sparse for a riscv build (CHECK=this): bookworm's sparse 0.6.4 stops on
# the ISA extensions the kernel names since 5.19 (-march=rv64imac_zicsr_zifencei:
# "invalid argument to '-march'").  Pass it the base ISA alone; sparse
# only derives the __riscv_* macros of the letters from it.
for arg; do
	shift
	case $arg in
	-march=rv*_*) arg=${arg%%_*} ;;
	esac
	set -- "$@" "$arg"
done
exec "${SPARSE:-sparse}" "$@"
