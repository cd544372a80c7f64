/* The seed (Microsoft's "Canceling a Network Connection" example), unchanged but for the
 * includes and a main. Compiled as C and as C++. */
#include <stdio.h>
#include <winnetwk.h>

static DWORD cancel_z(void)
{
DWORD dwResult; 
 
// Call the WNetCancelConnection2 function, specifying
//  that the connection should no longer be a persistent one.
//
dwResult = WNetCancelConnection2("z:", 
    CONNECT_UPDATE_PROFILE, // remove connection from profile 
    FALSE);                 // fail if open files or jobs 
 
// Process errors.
//  The device is not a local redirected device.
//
if (dwResult == ERROR_NOT_CONNECTED) 
{ 
    printf("Drive z: not connected.\n"); 
    return dwResult; 
} 
 
// Call an application-defined error handler.
//
else if(dwResult != NO_ERROR) 
{ 
    printf("WNetCancelConnection2 failed.\n"); 
    return dwResult; 
}
//
// Otherwise, report canceling the connection.
//
printf("Connection closed for z: drive.\n"); 
return NO_ERROR;
}

int main(void)
{
    DWORD result = cancel_z();
    printf("result=%lu\n", (unsigned long)result);
    return (int)result;
}
