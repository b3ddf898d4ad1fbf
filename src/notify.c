/* notify.c: tell systemd about readiness, reloads and stops (sd_notify). */

#include <sys/socket.h>
#include <sys/un.h>

#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "notify.h"

/*
 * The protocol is one datagram to a Unix socket: twenty lines here instead
 * of a dependency on libsystemd for a daemon that may run without systemd.
 */
int
notify_send(const char *state)
{
	struct sockaddr_un sun;
	const char *path;
	size_t len;
	socklen_t sun_len;
	int fd;

	if ((path = getenv("NOTIFY_SOCKET")) == NULL || path[0] == '\0')
		return 0;
	len = strlen(path);
	if ((path[0] != '/' && path[0] != '@') || len >= sizeof(sun.sun_path)) {
		log_warnx("NOTIFY_SOCKET %s: not a socket path", path);
		return -1;
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, path, len);
	if (path[0] == '@')
		sun.sun_path[0] = '\0';		/* abstract namespace */
	sun_len = offsetof(struct sockaddr_un, sun_path) + len;
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1) {
		log_warn("notify: socket");
		return -1;
	}
	if (sendto(fd, state, strlen(state), MSG_NOSIGNAL,
	    (struct sockaddr *)&sun, sun_len) == -1) {
		log_warn("notify: sendto %s", path);
		(void)close(fd);
		return -1;
	}
	(void)close(fd);
	return 0;
}
