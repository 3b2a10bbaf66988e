# A static x86_64 program without libc for the live tests: two threads, each with known
# values in the registers a system call preserves, each waiting in pause(2) forever;
# a known string at label "marker". Built by make-tiny.sh.
        .globl _start
        .text
_start:
        mov     $56, %eax                       # clone(flags, stack, 0, 0, 0): a second thread
        mov     $0x50f00, %edi                  # CLONE_VM|FS|FILES|SIGHAND|THREAD|SYSVSEM
        lea     stack_top(%rip), %rsi
        xor     %edx, %edx
        xor     %r10d, %r10d
        xor     %r8d, %r8d
        syscall
        test    %rax, %rax
        jz      thread
        movabs  $0x1111111111111111, %rbx
        movabs  $0x2222222222222222, %rbp
        movabs  $0x3333333333333333, %r12
        movabs  $0x4444444444444444, %r13
        movabs  $0x5555555555555555, %r14
        movabs  $0x6666666666666666, %r15
1:      mov     $34, %eax                       # pause()
        syscall
        jmp     1b
thread:
        movabs  $0xaaaaaaaaaaaaaaaa, %rbx
        movabs  $0xbbbbbbbbbbbbbbbb, %rbp
        movabs  $0xcccccccccccccccc, %r12
        movabs  $0xdddddddddddddddd, %r13
        movabs  $0xeeeeeeeeeeeeeeee, %r14
        movabs  $0x7777777777777777, %r15
2:      mov     $34, %eax
        syscall
        jmp     2b
        .data
        .globl  marker
marker: .asciz  "ckpt tiny64 marker"
        .bss
        .align  16
        .skip   16384
stack_top:
