/* A stand-in for Windows' bcryptprimitives.dll, for the tests' Wine prefix only.
 *
 * Rust's standard library (1.78 and later) takes its random bytes from ProcessPrng in
 * bcryptprimitives.dll, which Wine 8 (Debian 12's) does not have: every Rust program fails to
 * start there. This DLL exports ProcessPrng and forwards to SystemFunction036 (RtlGenRandom,
 * advapi32), which Wine has. e2e/scripts/windows-agent.sh builds it with mingw-w64 into the
 * test prefix; nothing users install contains it: real Windows 10/11 has the real one. */

#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length)
{
    while (length > 0) {
        ULONG chunk = length > 0x10000000 ? 0x10000000 : (ULONG)length;
        if (!SystemFunction036(data, chunk))
            return FALSE;
        data += chunk;
        length -= chunk;
    }
    return TRUE;
}
