/* http — asynchronous HTTP POST on the event loop (libcurl multi, socket API).
 *
 * libcurl tells us which sockets to watch and when to time out
 * (CURLMOPT_SOCKETFUNCTION, CURLMOPT_TIMERFUNCTION); the loop calls back
 * curl_multi_socket_action.  Nothing here blocks.  The request is copied, so
 * the caller's buffers may go at once.  Header values are never logged. */
#ifndef BPFALERT_HTTP_H
#define BPFALERT_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include "loop.h"

typedef struct http_client http_client;

struct http_request {
	const char *url;
	const char *body;
	size_t body_len;
	const char *const *headers;  /* "Name: value" lines */
	size_t nheaders;
	const char *username;        /* basic auth, or NULL */
	const char *password;
	bool skip_tls_check;
	long timeout_ms;             /* whole request; 0: 10 s */
	long connect_timeout_ms;     /* connection set-up; 0: the lesser of 5 s and timeout */
	const char *idempotency_key; /* sent as Idempotency-Key, or NULL */
};

/* status: the HTTP status, or 0 when no response came (error says why).
 * With a status outside 2xx, error is the start of the response body (control
 * characters blanked, at most 200 bytes) or NULL when it was empty. */
typedef void (*http_done_fn)(void *ctx, long status, const char *error);

/* NULL if libcurl cannot be initialised. */
http_client *http_client_new(loop *l);
/* Requests still in flight are cancelled: their done is called, from inside
 * this function, with status 0 and error "cancelled", so that callers can
 * release their context.  Free the client before its loop, and never from
 * inside one of its done callbacks. */
void http_client_free(http_client **c);

/* Starts a POST.  Returns 0, or -1 if the request could not even be
 * started (done is then not called). */
int http_post(http_client *c, const struct http_request *req,
	      http_done_fn done, void *ctx);
size_t http_in_flight(const http_client *c);

#endif
