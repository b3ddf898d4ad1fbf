/* notify.h: tell systemd about readiness, reloads and stops (sd_notify). */
#ifndef ECHOD_NOTIFY_H
#define ECHOD_NOTIFY_H

/* Sends `state` to $NOTIFY_SOCKET if it is set; silent otherwise. */
int	 notify_send(const char *);

#endif
