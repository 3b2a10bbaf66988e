# A static i386 program without libc for the live tests: known values in the registers
# int $0x80 preserves, a TLS descriptor installed with set_thread_area(2) and loaded in
# %gs, then pause(2) forever; a known string at label "marker". Built by make-tiny.sh.
        .globl _start
        .text
_start:
        mov     $243, %eax                      # set_thread_area(&desc)
        mov     $desc, %ebx
        int     $0x80
        mov     desc, %eax                      # the entry the kernel chose
        shl     $3, %eax
        or      $3, %eax
        mov     %eax, %gs
        mov     $0x11111111, %ebx
        mov     $0x22222222, %ecx
        mov     $0x33333333, %edx
        mov     $0x44444444, %esi
        mov     $0x55555555, %edi
        mov     $0x66666666, %ebp
1:      mov     $29, %eax                       # pause()
        int     $0x80
        jmp     1b
        .data
desc:   .long   -1                              # entry_number: any free one
        .long   marker                          # base_addr
        .long   0xfffff                         # limit
        .long   0x51                            # seg_32bit | limit_in_pages | useable
        .globl  marker
marker: .asciz  "ckpt tiny32 marker"
