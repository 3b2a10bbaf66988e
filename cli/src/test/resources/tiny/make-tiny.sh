#!/usr/bin/env bash
# Rebuilds tiny64 and tiny32 (static, no libc) from their sources with GNU as and ld
# (binutils' elf_x86_64 and elf_i386 emulations; no 32-bit libraries needed).
set -euo pipefail
cd "$(dirname "$0")"
as --64 -o tiny64.o tiny64.S && ld -m elf_x86_64 -static -o tiny64 tiny64.o
as --32 -o tiny32.o tiny32.S && ld -m elf_i386 -static -o tiny32 tiny32.o
rm -f tiny64.o tiny32.o
ls -l tiny64 tiny32
