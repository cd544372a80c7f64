/* The seed (Microsoft's "Canceling a Network Connection" example), unchanged but for the
 * includes, a main and its device: "z:", or "LPT1:" when built with -DSEED_LPT1 (the seed's
 * "open files or jobs": a print job held open refuses the cancel). Compiled as C and as C++. */
#include <stdio.h>
#include <winnetwk.h>

#ifdef SEED_LPT1
#define SEED_DEVICE "LPT1:"
#else
#define SEED_DEVICE "z:"
#endif

static DWORD cancel_z(void)
{
DWORD dwResult; 
 
// Call the WNetCancelConnection2 function, specifying
//  that the connection should no longer be a persistent one.
//
dwResult = WNetCancelConnection2(SEED_DEVICE, 
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
