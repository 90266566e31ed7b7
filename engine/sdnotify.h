/* sdnotify — telling systemd how the service is doing (Type=notify),
 * through $NOTIFY_SOCKET, without linking libsystemd.  Does nothing when
 * the variable is unset. */
#ifndef BPFALERT_SDNOTIFY_H
#define BPFALERT_SDNOTIFY_H

/* Sends `state` ("READY=1", "RELOADING=1", "STOPPING=1", "STATUS=...").
 * Returns 1 if sent, 0 if not under systemd, -errno on failure. */
int sd_notify_state(const char *state);

#endif
