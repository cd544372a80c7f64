/*
 * winnetwk.h - the Windows Networking (WNet) API of mpr.dll, for Linux: libwnet.so.
 *
 * Link with -lwnet. Every function talks to the per-user daemon wnetd (started on demand).
 *
 * Self-contained: this header defines the Windows base types it needs (unless windows.h-style
 * headers already did: define _WINDEF_, _MINWINDEF_ or WNET_NO_BASE_TYPES to skip them), with
 * fixed widths so that every structure has the layout of 64-bit Windows:
 *   DWORD = uint32_t, BOOL = int, WORD = uint16_t, WCHAR = a UTF-16 unit.
 * Wide strings, two ways:
 *   - by default WCHAR is char16_t and wide literals are written u"\\\\server\\share" (wchar_t
 *     is 32 bits on Linux and must NOT be used with the W functions);
 *   - compiled with -fshort-wchar (wchar_t is then 16 bits), WCHAR is wchar_t, so code written
 *     for Windows compiles unchanged: L"Z:" is a WCHAR string. (Every object and library of
 *     the program that passes wchar_t across must agree on the flag; libwnet itself does not
 *     care.)
 * TEXT("...") gives the wide literal of the mode (u"..." or L"...") when UNICODE is defined and
 * "..." otherwise.
 *
 * Strings: the A functions take and return UTF-8, the W functions UTF-16.
 * Buffer sizes are in characters (char for A, WCHAR for W) for WNetGetConnection, WNetGetUser,
 * WNetGetProviderName and WNetUseConnection's access name, and in bytes for
 * WNetGetUniversalName, WNetEnumResource, WNetGetResourceInformation and
 * WNetGetResourceParent, as on Windows.
 *
 * Devices: drive Z: is the directory $WNET_DRIVE_ROOT/Z (default ~/Network/Z); a deviceless
 * connection to \\server\share is $WNET_DRIVE_ROOT/UNC/server/share.
 *
 * HWND arguments are accepted and ignored: there is no GUI. The dialog functions answer as a
 * non-interactive session would (see docs in crates/wnet-capi/README.md).
 */
#ifndef WNET_WINNETWK_H
#define WNET_WINNETWK_H

#include <stdint.h>
#include <stddef.h>
#if !defined(__cplusplus)
#include <uchar.h>
#endif

/* ---------------------------------------------------------------- base types */

#if !defined(_WINDEF_) && !defined(_MINWINDEF_) && !defined(WNET_NO_BASE_TYPES)
#define WNET_BASE_TYPES 1
typedef uint32_t DWORD;
typedef int BOOL;
typedef uint8_t BYTE;
typedef uint16_t WORD;
typedef char CHAR;
#if defined(__SIZEOF_WCHAR_T__) && __SIZEOF_WCHAR_T__ == 2
/* -fshort-wchar: wchar_t is a UTF-16 unit, as on Windows; L"..." literals work. */
typedef wchar_t WCHAR;
#define WNET_WCHAR_IS_WCHAR_T 1
#else
typedef char16_t WCHAR;
#endif
typedef void VOID;
typedef DWORD *LPDWORD, *PDWORD;
typedef BYTE *LPBYTE, *PBYTE;
typedef CHAR *LPSTR, *PSTR;
typedef const CHAR *LPCSTR, *PCSTR;
typedef WCHAR *LPWSTR, *PWSTR;
typedef const WCHAR *LPCWSTR, *PCWSTR;
typedef void *LPVOID, *PVOID;
typedef const void *LPCVOID;
typedef void *HANDLE;
typedef HANDLE *LPHANDLE;
typedef void *HWND;
typedef uintptr_t ULONG_PTR;
#ifdef UNICODE
typedef WCHAR TCHAR;
typedef LPWSTR LPTSTR;
typedef LPCWSTR LPCTSTR;
#else
typedef CHAR TCHAR;
typedef LPSTR LPTSTR;
typedef LPCSTR LPCTSTR;
#endif
#endif /* base types */

#ifndef APIENTRY
#define APIENTRY
#endif
#ifndef WINAPI
#define WINAPI
#endif
#ifndef FALSE
#define FALSE 0
#endif
#ifndef TRUE
#define TRUE 1
#endif
#ifndef TEXT
#if defined(UNICODE) && defined(WNET_WCHAR_IS_WCHAR_T)
#define __TEXT(s) L##s
#elif defined(UNICODE)
#define __TEXT(s) u##s
#else
#define __TEXT(s) s
#endif
#define TEXT(s) __TEXT(s)
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------- constants */

/* dwScope */
#define RESOURCE_CONNECTED 0x00000001
#define RESOURCE_GLOBALNET 0x00000002
#define RESOURCE_REMEMBERED 0x00000003
#define RESOURCE_RECENT 0x00000004
#define RESOURCE_CONTEXT 0x00000005

/* dwType */
#define RESOURCETYPE_ANY 0x00000000
#define RESOURCETYPE_DISK 0x00000001
#define RESOURCETYPE_PRINT 0x00000002
#define RESOURCETYPE_RESERVED 0x00000008
#define RESOURCETYPE_UNKNOWN 0xFFFFFFFF

/* dwUsage */
#define RESOURCEUSAGE_CONNECTABLE 0x00000001
#define RESOURCEUSAGE_CONTAINER 0x00000002
#define RESOURCEUSAGE_NOLOCALDEVICE 0x00000004
#define RESOURCEUSAGE_SIBLING 0x00000008
#define RESOURCEUSAGE_ATTACHED 0x00000010
#define RESOURCEUSAGE_ALL (RESOURCEUSAGE_CONNECTABLE | RESOURCEUSAGE_CONTAINER | RESOURCEUSAGE_ATTACHED)
#define RESOURCEUSAGE_RESERVED 0x80000000

/* dwDisplayType */
#define RESOURCEDISPLAYTYPE_GENERIC 0x00000000
#define RESOURCEDISPLAYTYPE_DOMAIN 0x00000001
#define RESOURCEDISPLAYTYPE_SERVER 0x00000002
#define RESOURCEDISPLAYTYPE_SHARE 0x00000003
#define RESOURCEDISPLAYTYPE_FILE 0x00000004
#define RESOURCEDISPLAYTYPE_GROUP 0x00000005
#define RESOURCEDISPLAYTYPE_NETWORK 0x00000006
#define RESOURCEDISPLAYTYPE_ROOT 0x00000007
#define RESOURCEDISPLAYTYPE_SHAREADMIN 0x00000008
#define RESOURCEDISPLAYTYPE_DIRECTORY 0x00000009
#define RESOURCEDISPLAYTYPE_TREE 0x0000000A
#define RESOURCEDISPLAYTYPE_NDSCONTAINER 0x0000000B

/* dwFlags of WNetAddConnection2/3/4 and WNetUseConnection(4), WNetCancelConnection2 */
#define CONNECT_UPDATE_PROFILE 0x00000001
#define CONNECT_UPDATE_RECENT 0x00000002
#define CONNECT_TEMPORARY 0x00000004
#define CONNECT_INTERACTIVE 0x00000008
#define CONNECT_PROMPT 0x00000010
#define CONNECT_NEED_DRIVE 0x00000020
#define CONNECT_REFCOUNT 0x00000040
#define CONNECT_REDIRECT 0x00000080
#define CONNECT_LOCALDRIVE 0x00000100
#define CONNECT_CURRENT_MEDIA 0x00000200
#define CONNECT_DEFERRED 0x00000400
#define CONNECT_COMMANDLINE 0x00000800
#define CONNECT_CMD_SAVECRED 0x00001000
#define CONNECT_CRED_RESET 0x00002000
#define CONNECT_REQUIRE_INTEGRITY 0x00004000
#define CONNECT_REQUIRE_PRIVACY 0x00008000
#define CONNECT_WRITE_THROUGH_SEMANTICS 0x00010000
#define CONNECT_GLOBAL_MAPPING 0x00040000
#define CONNECT_RESERVED 0xFF000000

/* WNetGetUniversalName levels */
#define UNIVERSAL_NAME_INFO_LEVEL 0x00000001
#define REMOTE_NAME_INFO_LEVEL 0x00000002

/* WNetSetConnection */
#define NETPROPERTY_PERSISTENT 1

/* WNetFormatNetworkName */
#define WNFMT_MULTILINE 0x01
#define WNFMT_ABBREVIATED 0x02
#define WNFMT_INENUM 0x10
#define WNFMT_CONNECTION 0x20

/* NETCONNECTINFOSTRUCT.dwFlags */
#define WNCON_FORNETCARD 0x00000001
#define WNCON_NOTROUTED 0x00000002
#define WNCON_SLOWLINK 0x00000004
#define WNCON_DYNAMIC 0x00000008

/* NETINFOSTRUCT.dwCharacteristics */
#define NETINFO_DLL16 0x00000001
#define NETINFO_DISKRED 0x00000004
#define NETINFO_PRINTERRED 0x00000008

/* CONNECTDLGSTRUCT.dwFlags */
#define CONNDLG_RO_PATH 0x00000001
#define CONNDLG_CONN_POINT 0x00000002
#define CONNDLG_USE_MRU 0x00000004
#define CONNDLG_HIDE_BOX 0x00000008
#define CONNDLG_PERSIST 0x00000010
#define CONNDLG_NOT_PERSIST 0x00000020

/* DISCDLGSTRUCT.dwFlags */
#define DISC_UPDATE_PROFILE 0x00000001
#define DISC_NO_FORCE 0x00000040

/* Network types (WNetGetProviderName: only the high word is compared) */
#define WNNC_NET_MSNET 0x00010000
#define WNNC_NET_SMB 0x00020000
#define WNNC_NET_LANMAN WNNC_NET_SMB
#define WNNC_NET_NETWARE 0x00030000
#define WNNC_NET_NFS 0x000A0000
#define WNNC_NET_RDR2SAMPLE 0x00250000
#define WNNC_NET_DAV 0x002E0000
#define WNNC_NET_TERMSRV 0x00360000
#define WNNC_NET_DFS 0x003B0000
#define WNNC_NET_MS_NFS 0x00420000
#define WNNC_NET_9P 0x00480000
#define WNNC_CRED_MANAGER 0xFFFF0000

/* Error codes (winerror.h values) */
#ifndef NO_ERROR
#define NO_ERROR 0L
#endif
#ifndef ERROR_SUCCESS
#define ERROR_SUCCESS 0L
#endif
#ifndef ERROR_ACCESS_DENIED
#define ERROR_ACCESS_DENIED 5L
#endif
#ifndef ERROR_INVALID_HANDLE
#define ERROR_INVALID_HANDLE 6L
#endif
#ifndef ERROR_NOT_ENOUGH_MEMORY
#define ERROR_NOT_ENOUGH_MEMORY 8L
#endif
#ifndef ERROR_GEN_FAILURE
#define ERROR_GEN_FAILURE 31L
#endif
#ifndef ERROR_NOT_SUPPORTED
#define ERROR_NOT_SUPPORTED 50L
#endif
#ifndef ERROR_BAD_NETPATH
#define ERROR_BAD_NETPATH 53L
#endif
#ifndef ERROR_UNEXP_NET_ERR
#define ERROR_UNEXP_NET_ERR 59L
#endif
#ifndef ERROR_BAD_DEV_TYPE
#define ERROR_BAD_DEV_TYPE 66L
#endif
#ifndef ERROR_BAD_NET_NAME
#define ERROR_BAD_NET_NAME 67L
#endif
#ifndef ERROR_ALREADY_ASSIGNED
#define ERROR_ALREADY_ASSIGNED 85L
#endif
#ifndef ERROR_INVALID_PASSWORD
#define ERROR_INVALID_PASSWORD 86L
#endif
#ifndef ERROR_INVALID_PARAMETER
#define ERROR_INVALID_PARAMETER 87L
#endif
#ifndef ERROR_INVALID_LEVEL
#define ERROR_INVALID_LEVEL 124L
#endif
#ifndef ERROR_BUSY
#define ERROR_BUSY 170L
#endif
#ifndef ERROR_MORE_DATA
#define ERROR_MORE_DATA 234L
#endif
#ifndef ERROR_NO_MORE_ITEMS
#define ERROR_NO_MORE_ITEMS 259L
#endif
#ifndef ERROR_INVALID_ADDRESS
#define ERROR_INVALID_ADDRESS 487L
#endif
#ifndef ERROR_BAD_DEVICE
#define ERROR_BAD_DEVICE 1200L
#endif
#ifndef ERROR_CONNECTION_UNAVAIL
#define ERROR_CONNECTION_UNAVAIL 1201L
#endif
#ifndef ERROR_DEVICE_ALREADY_REMEMBERED
#define ERROR_DEVICE_ALREADY_REMEMBERED 1202L
#endif
#ifndef ERROR_NO_NET_OR_BAD_PATH
#define ERROR_NO_NET_OR_BAD_PATH 1203L
#endif
#ifndef ERROR_BAD_PROVIDER
#define ERROR_BAD_PROVIDER 1204L
#endif
#ifndef ERROR_CANNOT_OPEN_PROFILE
#define ERROR_CANNOT_OPEN_PROFILE 1205L
#endif
#ifndef ERROR_BAD_PROFILE
#define ERROR_BAD_PROFILE 1206L
#endif
#ifndef ERROR_NOT_CONTAINER
#define ERROR_NOT_CONTAINER 1207L
#endif
#ifndef ERROR_EXTENDED_ERROR
#define ERROR_EXTENDED_ERROR 1208L
#endif
#ifndef ERROR_SESSION_CREDENTIAL_CONFLICT
#define ERROR_SESSION_CREDENTIAL_CONFLICT 1219L
#endif
#ifndef ERROR_NO_NETWORK
#define ERROR_NO_NETWORK 1222L
#endif
#ifndef ERROR_CANCELLED
#define ERROR_CANCELLED 1223L
#endif
#ifndef ERROR_RETRY
#define ERROR_RETRY 1237L
#endif
#ifndef ERROR_NOT_AUTHENTICATED
#define ERROR_NOT_AUTHENTICATED 1244L
#endif
#ifndef ERROR_NOT_LOGGED_ON
#define ERROR_NOT_LOGGED_ON 1245L
#endif
#ifndef ERROR_ALREADY_INITIALIZED
#define ERROR_ALREADY_INITIALIZED 1247L
#endif
#ifndef ERROR_NO_MORE_DEVICES
#define ERROR_NO_MORE_DEVICES 1248L
#endif
#ifndef ERROR_NO_LOGON_SERVERS
#define ERROR_NO_LOGON_SERVERS 1311L
#endif
#ifndef ERROR_LOGON_FAILURE
#define ERROR_LOGON_FAILURE 1326L
#endif
#ifndef ERROR_TIME_SKEW
#define ERROR_TIME_SKEW 1398L
#endif
#ifndef ERROR_CONNECTED_OTHER_PASSWORD
#define ERROR_CONNECTED_OTHER_PASSWORD 2108L
#endif
#ifndef ERROR_CONNECTED_OTHER_PASSWORD_DEFAULT
#define ERROR_CONNECTED_OTHER_PASSWORD_DEFAULT 2109L
#endif
#ifndef ERROR_BAD_USERNAME
#define ERROR_BAD_USERNAME 2202L
#endif
#ifndef ERROR_NOT_CONNECTED
#define ERROR_NOT_CONNECTED 2250L
#endif
#ifndef ERROR_OPEN_FILES
#define ERROR_OPEN_FILES 2401L
#endif
#ifndef ERROR_DEVICE_IN_USE
#define ERROR_DEVICE_IN_USE 2404L
#endif

/* WN_* aliases */
#define WN_SUCCESS NO_ERROR
#define WN_NO_ERROR NO_ERROR
#define WN_NOT_SUPPORTED ERROR_NOT_SUPPORTED
#define WN_CANCEL ERROR_CANCELLED
#define WN_RETRY ERROR_RETRY
#define WN_NET_ERROR ERROR_UNEXP_NET_ERR
#define WN_MORE_DATA ERROR_MORE_DATA
#define WN_BAD_POINTER ERROR_INVALID_ADDRESS
#define WN_BAD_VALUE ERROR_INVALID_PARAMETER
#define WN_BAD_USER ERROR_BAD_USERNAME
#define WN_BAD_PASSWORD ERROR_INVALID_PASSWORD
#define WN_ACCESS_DENIED ERROR_ACCESS_DENIED
#define WN_FUNCTION_BUSY ERROR_BUSY
#define WN_WINDOWS_ERROR ERROR_UNEXP_NET_ERR
#define WN_OUT_OF_MEMORY ERROR_NOT_ENOUGH_MEMORY
#define WN_NO_NETWORK ERROR_NO_NETWORK
#define WN_EXTENDED_ERROR ERROR_EXTENDED_ERROR
#define WN_BAD_LEVEL ERROR_INVALID_LEVEL
#define WN_BAD_HANDLE ERROR_INVALID_HANDLE
#define WN_NOT_INITIALIZING ERROR_ALREADY_INITIALIZED
#define WN_NO_MORE_DEVICES ERROR_NO_MORE_DEVICES
#define WN_NOT_CONNECTED ERROR_NOT_CONNECTED
#define WN_OPEN_FILES ERROR_OPEN_FILES
#define WN_DEVICE_IN_USE ERROR_DEVICE_IN_USE
#define WN_BAD_NETNAME ERROR_BAD_NET_NAME
#define WN_BAD_LOCALNAME ERROR_BAD_DEVICE
#define WN_ALREADY_CONNECTED ERROR_ALREADY_ASSIGNED
#define WN_DEVICE_ERROR ERROR_GEN_FAILURE
#define WN_CONNECTION_CLOSED ERROR_CONNECTION_UNAVAIL
#define WN_NO_NET_OR_BAD_PATH ERROR_NO_NET_OR_BAD_PATH
#define WN_BAD_PROVIDER ERROR_BAD_PROVIDER
#define WN_CANNOT_OPEN_PROFILE ERROR_CANNOT_OPEN_PROFILE
#define WN_BAD_PROFILE ERROR_BAD_PROFILE
#define WN_BAD_DEV_TYPE ERROR_BAD_DEV_TYPE
#define WN_DEVICE_ALREADY_REMEMBERED ERROR_DEVICE_ALREADY_REMEMBERED
#define WN_CONNECTED_OTHER_PASSWORD ERROR_CONNECTED_OTHER_PASSWORD
#define WN_CONNECTED_OTHER_PASSWORD_DEFAULT ERROR_CONNECTED_OTHER_PASSWORD_DEFAULT
#define WN_NO_MORE_ENTRIES ERROR_NO_MORE_ITEMS
#define WN_NOT_CONTAINER ERROR_NOT_CONTAINER
#define WN_NOT_AUTHENTICATED ERROR_NOT_AUTHENTICATED
#define WN_NOT_LOGGED_ON ERROR_NOT_LOGGED_ON
#define WN_NOT_VALIDATED ERROR_NO_LOGON_SERVERS

/* ---------------------------------------------------------------- structures */

typedef struct _NETRESOURCEA {
    DWORD dwScope;
    DWORD dwType;
    DWORD dwDisplayType;
    DWORD dwUsage;
    LPSTR lpLocalName;
    LPSTR lpRemoteName;
    LPSTR lpComment;
    LPSTR lpProvider;
} NETRESOURCEA, *LPNETRESOURCEA;

typedef struct _NETRESOURCEW {
    DWORD dwScope;
    DWORD dwType;
    DWORD dwDisplayType;
    DWORD dwUsage;
    LPWSTR lpLocalName;
    LPWSTR lpRemoteName;
    LPWSTR lpComment;
    LPWSTR lpProvider;
} NETRESOURCEW, *LPNETRESOURCEW;

typedef struct _CONNECTDLGSTRUCTA {
    DWORD cbStructure;
    HWND hwndOwner;
    LPNETRESOURCEA lpConnRes;
    DWORD dwFlags;
    DWORD dwDevNum;
} CONNECTDLGSTRUCTA, *LPCONNECTDLGSTRUCTA;

typedef struct _CONNECTDLGSTRUCTW {
    DWORD cbStructure;
    HWND hwndOwner;
    LPNETRESOURCEW lpConnRes;
    DWORD dwFlags;
    DWORD dwDevNum;
} CONNECTDLGSTRUCTW, *LPCONNECTDLGSTRUCTW;

typedef struct _DISCDLGSTRUCTA {
    DWORD cbStructure;
    HWND hwndOwner;
    LPSTR lpLocalName;
    LPSTR lpRemoteName;
    DWORD dwFlags;
} DISCDLGSTRUCTA, *LPDISCDLGSTRUCTA;

typedef struct _DISCDLGSTRUCTW {
    DWORD cbStructure;
    HWND hwndOwner;
    LPWSTR lpLocalName;
    LPWSTR lpRemoteName;
    DWORD dwFlags;
} DISCDLGSTRUCTW, *LPDISCDLGSTRUCTW;

typedef struct _UNIVERSAL_NAME_INFOA {
    LPSTR lpUniversalName;
} UNIVERSAL_NAME_INFOA, *LPUNIVERSAL_NAME_INFOA;

typedef struct _UNIVERSAL_NAME_INFOW {
    LPWSTR lpUniversalName;
} UNIVERSAL_NAME_INFOW, *LPUNIVERSAL_NAME_INFOW;

typedef struct _REMOTE_NAME_INFOA {
    LPSTR lpUniversalName;
    LPSTR lpConnectionName;
    LPSTR lpRemainingPath;
} REMOTE_NAME_INFOA, *LPREMOTE_NAME_INFOA;

typedef struct _REMOTE_NAME_INFOW {
    LPWSTR lpUniversalName;
    LPWSTR lpConnectionName;
    LPWSTR lpRemainingPath;
} REMOTE_NAME_INFOW, *LPREMOTE_NAME_INFOW;

typedef struct _NETINFOSTRUCT {
    DWORD cbStructure;
    DWORD dwProviderVersion;
    DWORD dwStatus;
    DWORD dwCharacteristics;
    ULONG_PTR dwHandle;
    WORD wNetType;
    DWORD dwPrinters;
    DWORD dwDrives;
} NETINFOSTRUCT, *LPNETINFOSTRUCT;

typedef struct _NETCONNECTINFOSTRUCT {
    DWORD cbStructure;
    DWORD dwFlags;
    DWORD dwSpeed;      /* units of 100 bit/s */
    DWORD dwDelay;      /* milliseconds */
    DWORD dwOptDataSize; /* bytes */
} NETCONNECTINFOSTRUCT, *LPNETCONNECTINFOSTRUCT;

#ifdef UNICODE
typedef NETRESOURCEW NETRESOURCE;
typedef LPNETRESOURCEW LPNETRESOURCE;
typedef CONNECTDLGSTRUCTW CONNECTDLGSTRUCT;
typedef LPCONNECTDLGSTRUCTW LPCONNECTDLGSTRUCT;
typedef DISCDLGSTRUCTW DISCDLGSTRUCT;
typedef LPDISCDLGSTRUCTW LPDISCDLGSTRUCT;
typedef UNIVERSAL_NAME_INFOW UNIVERSAL_NAME_INFO;
typedef LPUNIVERSAL_NAME_INFOW LPUNIVERSAL_NAME_INFO;
typedef REMOTE_NAME_INFOW REMOTE_NAME_INFO;
typedef LPREMOTE_NAME_INFOW LPREMOTE_NAME_INFO;
#else
typedef NETRESOURCEA NETRESOURCE;
typedef LPNETRESOURCEA LPNETRESOURCE;
typedef CONNECTDLGSTRUCTA CONNECTDLGSTRUCT;
typedef LPCONNECTDLGSTRUCTA LPCONNECTDLGSTRUCT;
typedef DISCDLGSTRUCTA DISCDLGSTRUCT;
typedef LPDISCDLGSTRUCTA LPDISCDLGSTRUCT;
typedef UNIVERSAL_NAME_INFOA UNIVERSAL_NAME_INFO;
typedef LPUNIVERSAL_NAME_INFOA LPUNIVERSAL_NAME_INFO;
typedef REMOTE_NAME_INFOA REMOTE_NAME_INFO;
typedef LPREMOTE_NAME_INFOA LPREMOTE_NAME_INFO;
#endif

/* The layouts of 64-bit Windows; libwnet.so asserts the same sizes and offsets. */
#if defined(__LP64__)
#ifdef __cplusplus
#define WNET_STATIC_ASSERT(c, m) static_assert(c, m)
#else
#define WNET_STATIC_ASSERT(c, m) _Static_assert(c, m)
#endif
WNET_STATIC_ASSERT(sizeof(NETRESOURCEA) == 48, "NETRESOURCEA is 48 bytes on 64-bit Windows");
WNET_STATIC_ASSERT(sizeof(NETRESOURCEW) == 48, "NETRESOURCEW is 48 bytes on 64-bit Windows");
WNET_STATIC_ASSERT(sizeof(WCHAR) == 2, "WCHAR is a 16-bit UTF-16 unit");
WNET_STATIC_ASSERT(sizeof(DWORD) == 4, "DWORD is 32 bits");
WNET_STATIC_ASSERT(sizeof(CONNECTDLGSTRUCTA) == 32, "CONNECTDLGSTRUCT is 32 bytes");
WNET_STATIC_ASSERT(sizeof(DISCDLGSTRUCTA) == 40, "DISCDLGSTRUCT is 40 bytes");
WNET_STATIC_ASSERT(sizeof(NETINFOSTRUCT) == 40, "NETINFOSTRUCT is 40 bytes");
WNET_STATIC_ASSERT(sizeof(NETCONNECTINFOSTRUCT) == 20, "NETCONNECTINFOSTRUCT is 20 bytes");
WNET_STATIC_ASSERT(sizeof(REMOTE_NAME_INFOA) == 24, "REMOTE_NAME_INFO is 24 bytes");
#undef WNET_STATIC_ASSERT
#endif

/* ---------------------------------------------------------------- functions */

DWORD APIENTRY WNetAddConnectionA(LPCSTR lpRemoteName, LPCSTR lpPassword, LPCSTR lpLocalName);
DWORD APIENTRY WNetAddConnectionW(LPCWSTR lpRemoteName, LPCWSTR lpPassword, LPCWSTR lpLocalName);
DWORD APIENTRY WNetAddConnection2A(LPNETRESOURCEA lpNetResource, LPCSTR lpPassword,
                                   LPCSTR lpUserName, DWORD dwFlags);
DWORD APIENTRY WNetAddConnection2W(LPNETRESOURCEW lpNetResource, LPCWSTR lpPassword,
                                   LPCWSTR lpUserName, DWORD dwFlags);
DWORD APIENTRY WNetAddConnection3A(HWND hwndOwner, LPNETRESOURCEA lpNetResource,
                                   LPCSTR lpPassword, LPCSTR lpUserName, DWORD dwFlags);
DWORD APIENTRY WNetAddConnection3W(HWND hwndOwner, LPNETRESOURCEW lpNetResource,
                                   LPCWSTR lpPassword, LPCWSTR lpUserName, DWORD dwFlags);
DWORD APIENTRY WNetAddConnection4A(HWND hwndOwner, LPNETRESOURCEA lpNetResource,
                                   PVOID pAuthBuffer, DWORD cbAuthBuffer, DWORD dwFlags,
                                   PBYTE lpUseOptions, DWORD cbUseOptions);
DWORD APIENTRY WNetAddConnection4W(HWND hwndOwner, LPNETRESOURCEW lpNetResource,
                                   PVOID pAuthBuffer, DWORD cbAuthBuffer, DWORD dwFlags,
                                   PBYTE lpUseOptions, DWORD cbUseOptions);
DWORD APIENTRY WNetUseConnectionA(HWND hwndOwner, LPNETRESOURCEA lpNetResource,
                                  LPCSTR lpPassword, LPCSTR lpUserId, DWORD dwFlags,
                                  LPSTR lpAccessName, LPDWORD lpBufferSize, LPDWORD lpResult);
DWORD APIENTRY WNetUseConnectionW(HWND hwndOwner, LPNETRESOURCEW lpNetResource,
                                  LPCWSTR lpPassword, LPCWSTR lpUserId, DWORD dwFlags,
                                  LPWSTR lpAccessName, LPDWORD lpBufferSize, LPDWORD lpResult);
DWORD APIENTRY WNetUseConnection4A(HWND hwndOwner, LPNETRESOURCEA lpNetResource,
                                   PVOID pAuthBuffer, DWORD cbAuthBuffer, DWORD dwFlags,
                                   PBYTE lpUseOptions, DWORD cbUseOptions, LPSTR lpAccessName,
                                   LPDWORD lpBufferSize, LPDWORD lpResult);
DWORD APIENTRY WNetUseConnection4W(HWND hwndOwner, LPNETRESOURCEW lpNetResource,
                                   PVOID pAuthBuffer, DWORD cbAuthBuffer, DWORD dwFlags,
                                   PBYTE lpUseOptions, DWORD cbUseOptions, LPWSTR lpAccessName,
                                   LPDWORD lpBufferSize, LPDWORD lpResult);
DWORD APIENTRY WNetCancelConnectionA(LPCSTR lpName, BOOL fForce);
DWORD APIENTRY WNetCancelConnectionW(LPCWSTR lpName, BOOL fForce);
DWORD APIENTRY WNetCancelConnection2A(LPCSTR lpName, DWORD dwFlags, BOOL fForce);
DWORD APIENTRY WNetCancelConnection2W(LPCWSTR lpName, DWORD dwFlags, BOOL fForce);
DWORD APIENTRY WNetGetConnectionA(LPCSTR lpLocalName, LPSTR lpRemoteName, LPDWORD lpnLength);
DWORD APIENTRY WNetGetConnectionW(LPCWSTR lpLocalName, LPWSTR lpRemoteName, LPDWORD lpnLength);
DWORD APIENTRY WNetGetUniversalNameA(LPCSTR lpLocalPath, DWORD dwInfoLevel, LPVOID lpBuffer,
                                     LPDWORD lpBufferSize);
DWORD APIENTRY WNetGetUniversalNameW(LPCWSTR lpLocalPath, DWORD dwInfoLevel, LPVOID lpBuffer,
                                     LPDWORD lpBufferSize);
DWORD APIENTRY WNetGetUserA(LPCSTR lpName, LPSTR lpUserName, LPDWORD lpnLength);
DWORD APIENTRY WNetGetUserW(LPCWSTR lpName, LPWSTR lpUserName, LPDWORD lpnLength);
DWORD APIENTRY WNetOpenEnumA(DWORD dwScope, DWORD dwType, DWORD dwUsage,
                             LPNETRESOURCEA lpNetResource, LPHANDLE lphEnum);
DWORD APIENTRY WNetOpenEnumW(DWORD dwScope, DWORD dwType, DWORD dwUsage,
                             LPNETRESOURCEW lpNetResource, LPHANDLE lphEnum);
DWORD APIENTRY WNetEnumResourceA(HANDLE hEnum, LPDWORD lpcCount, LPVOID lpBuffer,
                                 LPDWORD lpBufferSize);
DWORD APIENTRY WNetEnumResourceW(HANDLE hEnum, LPDWORD lpcCount, LPVOID lpBuffer,
                                 LPDWORD lpBufferSize);
DWORD APIENTRY WNetCloseEnum(HANDLE hEnum);
DWORD APIENTRY WNetGetResourceInformationA(LPNETRESOURCEA lpNetResource, LPVOID lpBuffer,
                                           LPDWORD lpcbBuffer, LPSTR *lplpSystem);
DWORD APIENTRY WNetGetResourceInformationW(LPNETRESOURCEW lpNetResource, LPVOID lpBuffer,
                                           LPDWORD lpcbBuffer, LPWSTR *lplpSystem);
DWORD APIENTRY WNetGetResourceParentA(LPNETRESOURCEA lpNetResource, LPVOID lpBuffer,
                                      LPDWORD lpcbBuffer);
DWORD APIENTRY WNetGetResourceParentW(LPNETRESOURCEW lpNetResource, LPVOID lpBuffer,
                                      LPDWORD lpcbBuffer);
DWORD APIENTRY WNetGetNetworkInformationA(LPCSTR lpProvider, LPNETINFOSTRUCT lpNetInfoStruct);
DWORD APIENTRY WNetGetNetworkInformationW(LPCWSTR lpProvider, LPNETINFOSTRUCT lpNetInfoStruct);
DWORD APIENTRY WNetGetProviderNameA(DWORD dwNetType, LPSTR lpProviderName, LPDWORD lpBufferSize);
DWORD APIENTRY WNetGetProviderNameW(DWORD dwNetType, LPWSTR lpProviderName, LPDWORD lpBufferSize);
DWORD APIENTRY WNetGetLastErrorA(LPDWORD lpError, LPSTR lpErrorBuf, DWORD nErrorBufSize,
                                 LPSTR lpNameBuf, DWORD nNameBufSize);
DWORD APIENTRY WNetGetLastErrorW(LPDWORD lpError, LPWSTR lpErrorBuf, DWORD nErrorBufSize,
                                 LPWSTR lpNameBuf, DWORD nNameBufSize);
/* npapi.h: providers report an extended error; the next WNetGetLastError on this thread sees it. */
VOID APIENTRY WNetSetLastErrorA(DWORD err, LPCSTR lpError, LPCSTR lpProviders);
VOID APIENTRY WNetSetLastErrorW(DWORD err, LPCWSTR lpError, LPCWSTR lpProviders);
DWORD APIENTRY MultinetGetConnectionPerformanceA(LPNETRESOURCEA lpNetResource,
                                                 LPNETCONNECTINFOSTRUCT lpNetConnectInfoStruct);
DWORD APIENTRY MultinetGetConnectionPerformanceW(LPNETRESOURCEW lpNetResource,
                                                 LPNETCONNECTINFOSTRUCT lpNetConnectInfoStruct);
DWORD APIENTRY WNetRestoreConnectionA(HWND hwndParent, LPCSTR lpDevice);
DWORD APIENTRY WNetRestoreConnectionW(HWND hwndParent, LPCWSTR lpDevice);
/* Undocumented mpr.dll export: WNetRestoreConnectionW(NULL, NULL); both arguments ignored. */
DWORD APIENTRY WNetRestoreAllConnectionsW(HWND hwndParent, DWORD dwFlags);
DWORD APIENTRY WNetRestoreSingleConnectionA(HWND hwndParent, LPCSTR lpDevice, BOOL fUseUI);
DWORD APIENTRY WNetRestoreSingleConnectionW(HWND hwndParent, LPCWSTR lpDevice, BOOL fUseUI);
DWORD APIENTRY WNetSetConnectionA(LPCSTR lpName, DWORD dwProperty, LPVOID pvValues);
DWORD APIENTRY WNetSetConnectionW(LPCWSTR lpName, DWORD dwProperty, LPVOID pvValues);
DWORD APIENTRY WNetConnectionDialog(HWND hwnd, DWORD dwType);
DWORD APIENTRY WNetDisconnectDialog(HWND hwnd, DWORD dwType);
DWORD APIENTRY WNetConnectionDialog1A(LPCONNECTDLGSTRUCTA lpConnDlgStruct);
DWORD APIENTRY WNetConnectionDialog1W(LPCONNECTDLGSTRUCTW lpConnDlgStruct);
DWORD APIENTRY WNetDisconnectDialog1A(LPDISCDLGSTRUCTA lpConnDlgStruct);
DWORD APIENTRY WNetDisconnectDialog1W(LPDISCDLGSTRUCTW lpConnDlgStruct);
/* Undocumented in the SDK (Wine's signature): cancels every connection, forced. */
DWORD APIENTRY WNetClearConnections(HWND hwndParent);

#ifdef UNICODE
#define WNetAddConnection WNetAddConnectionW
#define WNetAddConnection2 WNetAddConnection2W
#define WNetAddConnection3 WNetAddConnection3W
#define WNetAddConnection4 WNetAddConnection4W
#define WNetUseConnection WNetUseConnectionW
#define WNetUseConnection4 WNetUseConnection4W
#define WNetCancelConnection WNetCancelConnectionW
#define WNetCancelConnection2 WNetCancelConnection2W
#define WNetGetConnection WNetGetConnectionW
#define WNetGetUniversalName WNetGetUniversalNameW
#define WNetGetUser WNetGetUserW
#define WNetOpenEnum WNetOpenEnumW
#define WNetEnumResource WNetEnumResourceW
#define WNetGetResourceInformation WNetGetResourceInformationW
#define WNetGetResourceParent WNetGetResourceParentW
#define WNetGetNetworkInformation WNetGetNetworkInformationW
#define WNetGetProviderName WNetGetProviderNameW
#define WNetGetLastError WNetGetLastErrorW
#define WNetSetLastError WNetSetLastErrorW
#define MultinetGetConnectionPerformance MultinetGetConnectionPerformanceW
#define WNetRestoreConnection WNetRestoreConnectionW
#define WNetRestoreSingleConnection WNetRestoreSingleConnectionW
#define WNetSetConnection WNetSetConnectionW
#define WNetConnectionDialog1 WNetConnectionDialog1W
#define WNetDisconnectDialog1 WNetDisconnectDialog1W
#else
#define WNetAddConnection WNetAddConnectionA
#define WNetAddConnection2 WNetAddConnection2A
#define WNetAddConnection3 WNetAddConnection3A
#define WNetAddConnection4 WNetAddConnection4A
#define WNetUseConnection WNetUseConnectionA
#define WNetUseConnection4 WNetUseConnection4A
#define WNetCancelConnection WNetCancelConnectionA
#define WNetCancelConnection2 WNetCancelConnection2A
#define WNetGetConnection WNetGetConnectionA
#define WNetGetUniversalName WNetGetUniversalNameA
#define WNetGetUser WNetGetUserA
#define WNetOpenEnum WNetOpenEnumA
#define WNetEnumResource WNetEnumResourceA
#define WNetGetResourceInformation WNetGetResourceInformationA
#define WNetGetResourceParent WNetGetResourceParentA
#define WNetGetNetworkInformation WNetGetNetworkInformationA
#define WNetGetProviderName WNetGetProviderNameA
#define WNetGetLastError WNetGetLastErrorA
#define WNetSetLastError WNetSetLastErrorA
#define MultinetGetConnectionPerformance MultinetGetConnectionPerformanceA
#define WNetRestoreConnection WNetRestoreConnectionA
#define WNetRestoreSingleConnection WNetRestoreSingleConnectionA
#define WNetSetConnection WNetSetConnectionA
#define WNetConnectionDialog1 WNetConnectionDialog1A
#define WNetDisconnectDialog1 WNetDisconnectDialog1A
#endif

#ifdef __cplusplus
}
#endif

#endif /* WNET_WINNETWK_H */
