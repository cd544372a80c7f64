/* Which error wins when several apply: arguments first, then the answer to the question (not
 * connected, remembered, no provider, bad handle, the end), then the caller's buffer. Q: is
 * remembered but not connected, R: is nothing. One "name=code" line per pair. */
#include <stdio.h>
#include <string.h>
#include <winnetwk.h>

#define SHOW(name, call) printf("%s=%lu\n", name, (unsigned long)(call))

int main(void)
{
    char buf[16];
    DWORD size, count;
    NETRESOURCEA nr;
    NETCONNECTINFOSTRUCT perf;
    HANDLE h;
    union { NETRESOURCEA nr; char bytes[4096]; } out;

    /* WNetGetUniversalName */
    size = 1024;
    SHOW("gun_unredirected_null_buffer", WNetGetUniversalNameA("R:\\", REMOTE_NAME_INFO_LEVEL, NULL, &size));
    size = 1;
    SHOW("gun_unredirected_small_buffer", WNetGetUniversalNameA("R:\\", UNIVERSAL_NAME_INFO_LEVEL, buf, &size));
    size = 1024;
    SHOW("gun_remembered_null_buffer", WNetGetUniversalNameA("Q:\\", REMOTE_NAME_INFO_LEVEL, NULL, &size));
    size = 1024;
    SHOW("gun_bad_level_unredirected", WNetGetUniversalNameA("R:\\", 3, NULL, &size));
    SHOW("gun_null_size_unredirected", WNetGetUniversalNameA("R:\\", REMOTE_NAME_INFO_LEVEL, buf, NULL));
    size = 1024;
    SHOW("gun_null_path_bad_level", WNetGetUniversalNameA(NULL, 3, buf, &size));

    /* WNetGetConnection */
    size = 1024;
    SHOW("gc_unredirected_null_buffer", WNetGetConnectionA("R:", NULL, &size));
    size = 0;
    SHOW("gc_unredirected_zero_size", WNetGetConnectionA("R:", buf, &size));
    size = 1024;
    SHOW("gc_remembered_null_buffer", WNetGetConnectionA("Q:", NULL, &size));
    SHOW("gc_null_size_unredirected", WNetGetConnectionA("R:", buf, NULL));

    /* WNetGetUser */
    size = 1024;
    SHOW("gu_unconnected_null_buffer", WNetGetUserA("R:", NULL, &size));
    size = 0;
    SHOW("gu_unconnected_zero_size", WNetGetUserA("R:", buf, &size));

    /* WNetGetResourceInformation: nobody owns \\nobody\x (no provider at all). */
    memset(&nr, 0, sizeof nr);
    nr.dwType = RESOURCETYPE_DISK;
    nr.lpRemoteName = "\\\\nobody\\x\\dir";
    size = 1024;
    SHOW("gri_unowned_null_buffer", WNetGetResourceInformationA(&nr, NULL, &size, NULL));
    size = 1;
    SHOW("gri_unowned_small_buffer", WNetGetResourceInformationA(&nr, buf, &size, NULL));
    SHOW("gri_null_size_unowned", WNetGetResourceInformationA(&nr, buf, NULL, NULL));

    /* WNetGetResourceParent: no lpProvider. */
    nr.lpRemoteName = "\\\\nobody\\x";
    size = 1024;
    SHOW("grp_no_provider_null_buffer", WNetGetResourceParentA(&nr, NULL, &size));
    size = 1;
    SHOW("grp_no_provider_small_buffer", WNetGetResourceParentA(&nr, buf, &size));

    /* WNetEnumResource */
    if (WNetOpenEnumA(RESOURCE_REMEMBERED, RESOURCETYPE_ANY, 0, NULL, &h) != NO_ERROR) return 1;
    count = 0xFFFFFFFF;
    size = sizeof out;
    SHOW("enum_first", WNetEnumResourceA(h, &count, out.bytes, &size));
    count = 0xFFFFFFFF;
    size = 1024;
    SHOW("enum_end_null_buffer", WNetEnumResourceA(h, &count, NULL, &size));
    count = 0xFFFFFFFF;
    size = 1;
    SHOW("enum_end_small_buffer", WNetEnumResourceA(h, &count, out.bytes, &size));
    count = 0;
    size = sizeof out;
    SHOW("enum_end_zero_count", WNetEnumResourceA(h, &count, out.bytes, &size));
    WNetCloseEnum(h);
    count = 0xFFFFFFFF;
    size = 1024;
    SHOW("enum_bad_handle_null_buffer", WNetEnumResourceA(h, &count, NULL, &size));
    count = 0;
    SHOW("enum_bad_handle_zero_count", WNetEnumResourceA(h, &count, out.bytes, &size));
    count = 0xFFFFFFFF;
    SHOW("enum_bad_handle_null_size", WNetEnumResourceA(h, &count, out.bytes, NULL));

    /* MultinetGetConnectionPerformance */
    memset(&nr, 0, sizeof nr);
    nr.lpLocalName = "R:";
    perf.cbStructure = sizeof perf;
    SHOW("perf_unconnected", MultinetGetConnectionPerformanceA(&nr, &perf));
    perf.cbStructure = 1;
    SHOW("perf_unconnected_bad_cb", MultinetGetConnectionPerformanceA(&nr, &perf));
    SHOW("perf_unconnected_null_out", MultinetGetConnectionPerformanceA(&nr, NULL));
    return 0;
}
