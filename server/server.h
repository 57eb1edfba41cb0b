/*
 * server.h — what hrd's core owns, and the seams features meet it by.
 * The core knows no feature (docs/architecture.md):
 *
 *   server.c    lifecycle: start, serve, shut down (events SHUTTING_DOWN
 *               then FREE)
 *   listener.c  the Unix socket: lock file, stale socket, permissions
 *   conn.c      one client connection: bytes in and out, back-pressure,
 *               half-close, timeouts
 *   native.c    the native transport: Request/Response envelopes in
 *               frames, call ids, cancel frames -> the call seam
 *   h2.c        the gRPC transport: HTTP/2 streams (libnghttp2) -> the
 *               call seam, on the same socket (chosen by the first byte)
 *   call.c      the seam: interceptors (limits, authorisation), decode,
 *               deadline, dispatch to the method, stream to send on
 *   writer.c    the single writer: FIFO of jobs run off the loop (events
 *               JOB_STARTED / JOB_PROGRESS / JOB_FINISHED)
 *   reader.c    status reads of alembic_version: on the loop (SQLite) or
 *               on the pool (PostgreSQL)
 *   reload.c    the revision map's lifetime (events MAP_RELOADED, RELOAD)
 *   events.c    the core fires events; features subscribe
 *   peer.c      who is on the other end and whether they may write
 *   methods/    one file per RPC, each exporting one hr_method, and the
 *               features' state (watch.c, current.c, models_state.c),
 *               set up by hr_methods_init (methods/table.c)
 *
 * Everything here runs on the loop thread except a job's work function,
 * which runs on a libuv pool thread and talks back only through
 * hr_job_emit (a mutex-protected queue drained by a uv_async).
 */
#ifndef HR_SERVER_H
#define HR_SERVER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/un.h>
#include <uv.h>

#include "db.h"
#include "dburl.h"
#include "frame.h"
#include "homerack.pb-c.h"
#include "revmap.h"
#include "status.h"

typedef struct hr_server hr_server;
typedef struct hr_conn hr_conn;
typedef struct hr_call hr_call;
typedef struct hr_job hr_job;

/* ------------------------------------------------------------------ */
/* Configuration                                                       */
/* ------------------------------------------------------------------ */

typedef struct hr_config {
	const char *socket_path;
	const char *database_url;
	const char *migrations_dir;
	const char *models_dir;
	mode_t socket_mode;     /* default 0660 */
	const char *socket_group; /* chown the socket to it; NULL: ours */
	const char *admin_group; /* members may change the schema; NULL none */
	size_t max_frame;        /* request frame cap */
	size_t max_connections;
	size_t max_connections_per_uid;
	size_t max_calls_per_conn;
	size_t max_queued_jobs;   /* schema changes waiting for the writer */
	size_t max_queued_reads;  /* read-only jobs (Verify) waiting */
	size_t max_queued_per_uid; /* one uid's waiting jobs, of each kind */
	uint64_t frame_timeout_ms; /* a started frame must complete by then */
	uint64_t idle_timeout_ms;  /* a connection with no calls closes then */
} hr_config;

void hr_config_defaults(hr_config *cfg);

/* ------------------------------------------------------------------ */
/* Methods                                                             */
/* ------------------------------------------------------------------ */

typedef enum hr_method_kind {
	HR_UNARY,
	HR_SERVER_STREAM,
	/* A bidirectional stream of request/reply exchanges (gRPC
	 * reflection): every request message the client sends is one call
	 * of its own, and a status other than OK ends the stream; it ends
	 * OK once the client has ended its side. The native framing carries
	 * one exchange per Request. */
	HR_BIDI_EXCHANGES,
} hr_method_kind;

typedef struct hr_method {
	const char *path; /* "/homerack.v1.Schema/Current" */
	hr_method_kind kind;
	int mutating; /* needs an admin peer; a schema change */
	const ProtobufCMessageDescriptor *request_type;
	/* Start the call with its decoded request (freed after return).
	 * Must eventually call hr_call_finish exactly once. */
	void (*start)(hr_call *call, const ProtobufCMessage *request);
} hr_method;

/* The method table (methods/table.c); NULL for an unknown path. */
const hr_method *hr_method_find(const char *path);

/* ------------------------------------------------------------------ */
/* Calls: the seam between transports and methods (call.c)            */
/* ------------------------------------------------------------------ */

/*
 * How a call sends on the stream its transport gave it (gRPC-Go's
 * ServerStream, ttrpc's stream). The stream is the transport's; the
 * dispatcher only passes it back.
 */
typedef struct hr_stream_ops {
	/* Send one message (its packed bytes). */
	void (*send)(void *stream, const uint8_t *data, size_t len);
	/* End the stream with a status; the stream is gone after this. */
	void (*finish)(void *stream, hr_code code, const char *message);
	/* Whether the peer has not yet taken what was sent. */
	int (*backlogged)(void *stream);
	/* Buffer about bytes for the peer, no more (best effort). */
	void (*limit_buffer)(void *stream, int bytes);
} hr_stream_ops;

/* One call as a transport hands it over (hr_call_start). */
typedef struct hr_call_request {
	const char *method; /* "/homerack.v1.Schema/Current" */
	const uint8_t *payload;
	size_t payload_len;
	uint64_t timeout_ms; /* 0: no deadline */
	uid_t peer_uid;
	int peer_is_admin;
	size_t peer_calls; /* calls the peer's connection holds already */
	const hr_stream_ops *ops;
	void *stream;
	/* Where the call is stored once it exists, before its method
	 * starts: the transport's handle to cancel or detach it, valid
	 * until ops->finish ends the stream. */
	hr_call **bind;
} hr_call_request;

struct hr_call {
	hr_server *server;
	const hr_stream_ops *ops;
	void *stream; /* NULL once the peer has gone */
	const hr_method *method;
	uint64_t deadline; /* uv_now() milliseconds; 0 = none */
	uid_t peer_uid;
	hr_job *job; /* the writer job serving this call, if any */
	/* Ends the call's deadline (call.c); NULL without a deadline. */
	uv_timer_t *deadline_timer;
	/* A long-lived call without a job (Watch, a read on the pool): ends
	 * it with code and why when the client cancels (HR_CANCELLED), its
	 * deadline passes (HR_DEADLINE_EXCEEDED) or the client goes away
	 * (the call is peerless then). NULL for calls that finish at once. */
	void (*on_cancel)(hr_call *call, hr_code code, const char *why);
	/* A stream that sends only its latest state (hr_call_keep_latest):
	 * the peer has taken everything sent so far. */
	void (*on_drain)(hr_call *call);
	void *data; /* method-specific */
};

/*
 * Start the call req describes: the interceptors (a connection's call
 * limit, authorisation), the payload decoded with the method's type,
 * the deadline armed, then the method. Every request ends with exactly
 * one req->ops->finish: here at once when it is refused, else when the
 * method finishes the call.
 */
void hr_call_start(hr_server *server, const hr_call_request *req);

/* Send one reply/stream message on call (dropped if the peer is gone). */
void hr_call_send(hr_call *call, const ProtobufCMessage *msg);
/* Send the already-packed message bytes (from a job's event queue). */
void hr_call_send_packed(hr_call *call, const uint8_t *data, size_t len);

/* End the call with a status and free it. */
void hr_call_finish(hr_call *call, hr_code code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * Make call a stream that sends only its latest state (Watch): the
 * transport buffers little for it, hr_call_backlogged tells whether the
 * peer still has something unread, and on_drain runs when it has taken
 * everything, to send what is owed. A slow reader then never makes hrd
 * queue a backlog.
 */
void hr_call_keep_latest(hr_call *call, void (*on_drain)(hr_call *call));
/* Whether call's peer has not yet taken what was last sent (0 once the
 * peer is gone: nothing is queued for it). */
int hr_call_backlogged(const hr_call *call);

/* For transports. The peer took everything sent on call's stream. */
void hr_call_drained(hr_call *call);
/* The client cancelled call. */
void hr_call_cancel(hr_call *call);
/* The call's peer is gone: the stream is no longer used, the call's
 * work stops (a job ends it, peerless, when it stops). */
void hr_call_detach(hr_call *call);

/* ------------------------------------------------------------------ */
/* Connections                                                         */
/* ------------------------------------------------------------------ */

struct hr_conn {
	uv_pipe_t pipe;
	hr_server *server;
	hr_frame_reader reader;
	uid_t uid;
	int is_admin;
	struct hr_native_call *calls; /* native.c's */
	size_t n_calls;
	int closing;
	int ending;            /* closing once its replies are written: no
				  more requests are taken */
	int batching;          /* a read is being handled: batch writes */
	char *batch;           /* frames for one write (conn.c) */
	size_t batch_len, batch_cap;
	uint64_t last_active;   /* uv_now() of the last byte or call end */
	uint64_t frame_started; /* uv_now() when a partial frame began; 0 none */
	/* Back-pressure (conn.c): while the peer leaves too many replies
	 * unread, its requests are not read; the bytes already read but not
	 * yet handled wait in `held`. */
	int paused;
	int warned;            /* it was backlogged: logged, trimmed at close */
	size_t writing;        /* bytes in writes handed to libuv */
	uint8_t *held;
	size_t held_len;
	int read_eof;          /* the peer half-closed: answer, then close */
	int chosen;            /* the first byte chose the transport */
	struct hr_h2 *h2;      /* h2.c's, for a gRPC (HTTP/2) connection */
	hr_conn *prev, *next;
};

/* Accept a pending connection on the listener (conn.c). */
void hr_conn_accept(hr_server *server);

/* Write a status frame ending call_id (0: the connection itself). */
int hr_conn_write_status(hr_conn *conn, uint64_t call_id, hr_code code,
			 const char *message);

/* Write one Response frame; frees nothing of resp. */
int hr_conn_write_response(hr_conn *conn, const Homerack__V1__Response *resp);

/* Keep the kernel's send buffer for conn's peer at about bytes (Linux
 * doubles it), so a stalled peer pins little. */
void hr_conn_limit_send_buffer(hr_conn *conn, int bytes);

/* Whether the peer has not yet taken what we last wrote. */
int hr_conn_backlogged(const hr_conn *conn);

/* A call of conn's ended (native.c): a half-closed connection whose
 * last call it was closes once its replies are written. */
void hr_conn_call_ended(hr_conn *conn);
/* The peer took everything written to conn: tell its calls (native.c). */
void hr_native_drained(hr_conn *conn);

/* The native transport (native.c): one decoded-length frame from conn,
 * a Request envelope, handled: a call started through the seam, or
 * cancelled. */
void hr_native_frame(hr_conn *conn, const uint8_t *frame, size_t len);
/* The connection is going: detach its calls, cancelling their work. */
void hr_native_detach_all(hr_conn *conn);

/* Write len bytes to conn as they are (a transport's own framing). */
int hr_conn_write_bytes(hr_conn *conn, const uint8_t *data, size_t len);
/* Whether conn holds as much output for its peer as it may (counting
 * `more` bytes about to be written): write no more until it drains. */
int hr_conn_output_full(const hr_conn *conn, size_t more);

/* The gRPC transport (h2.c), for a connection whose first byte is 'P'
 * (the HTTP/2 client preface). Open its session (0 or -hr_code). */
int hr_h2_open(hr_conn *conn, hr_error *err);
/* Handle n bytes from the peer; -1 when the connection must close (what
 * the peer should be told is written already). */
int hr_h2_input(hr_conn *conn, const uint8_t *data, size_t n);
/* Hand nghttp2's pending output to conn, as much as conn takes. */
void hr_h2_output(hr_conn *conn);
/* Whether a request has begun and not yet arrived whole. */
int hr_h2_partial(const hr_conn *conn);
/* The peer took everything written: more output, and tell the calls. */
void hr_h2_drained(hr_conn *conn);
/* Tell the peer why hrd hangs up (GOAWAY). */
void hr_h2_goaway(hr_conn *conn, const hr_error *err);
/* The connection is going: detach its calls, free the session. */
void hr_h2_close(hr_conn *conn);

/* Close after pending writes drain (after a protocol error). */
void hr_conn_close_after_writes(hr_conn *conn);
/* Close now. */
void hr_conn_close(hr_conn *conn);

/* Close connections that stalled mid-frame or sat idle too long; run
 * periodically by the server's sweep timer. */
void hr_conn_sweep(hr_server *server);

/* ------------------------------------------------------------------ */
/* Peers                                                               */
/* ------------------------------------------------------------------ */

/* Fill conn->uid from SO_PEERCRED and decide conn->is_admin. */
int hr_peer_identify(hr_conn *conn, hr_error *err);
/* Who may change the schema, for PERMISSION_DENIED messages. */
const char *hr_peer_admin_description(const hr_server *server);

/* ------------------------------------------------------------------ */
/* The writer: one mutating job at a time, FIFO                         */
/* ------------------------------------------------------------------ */

/* A packed stream message waiting for the loop thread. */
typedef struct hr_job_event {
	struct hr_job_event *next;
	size_t len;
	uint8_t data[];
} hr_job_event;

struct hr_job {
	uv_work_t req;
	hr_server *server;
	hr_call *call; /* NULL once the call has gone */
	const hr_revmap *map;
	uid_t peer_uid;
	uint64_t deadline; /* copied from the call, uv_now() ms */
	int changes_schema; /* the call's method is mutating */
	/* 0, or why the job must stop (HR_CANCELLED, HR_DEADLINE_EXCEEDED):
	 * set on the loop, read by the worker wherever it waits. */
	atomic_int stop_code;
	/* Runs on a pool thread: the job's whole database work. The result
	 * goes into `result` (code HR_OK for success). */
	void (*work)(hr_job *job);
	hr_error result;
	void *data; /* method-specific */
	void (*free_data)(void *data);
	const char *method; /* the call's method path, for logs and watchers */
	/* Loop thread, once work is done and while the call is still there:
	 * the method's last word before the call ends with `result` (may
	 * send replies, may set result). NULL: none. */
	void (*after)(hr_job *job);
	pthread_mutex_t lock; /* guards events and detail */
	hr_job_event *events, **events_tail;
	char detail[256];
	int detail_changed;
	hr_strlist rows; /* alembic_version after the last committed step */
	int have_rows;
	hr_job *next; /* in the queue */
};

/*
 * Queue work for call behind the running job. Takes ownership of data
 * (freed with free_data). Schema changes (the call's method is mutating)
 * and read-only jobs wait within separate limits, and one uid may hold
 * at most max_queued_per_uid places of each. On failure (a limit,
 * shutting down, out of memory) the call is finished with the reason and
 * NULL returned.
 */
hr_job *hr_writer_run(hr_call *call, void (*work)(hr_job *), void *data,
		      void (*free_data)(void *));
/* From the worker thread: queue msg for the call's client. */
void hr_job_emit(hr_job *job, const ProtobufCMessage *msg);
/* From the worker thread: what the job is doing now, for watchers. */
void hr_job_set_detail(hr_job *job, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* From the worker thread: the version rows as of the last commit. */
void hr_job_publish_rows(hr_job *job, const hr_strlist *rows);
/* Loop thread: while a job that publishes rows runs, copy them into out
 * (1) — fresher than any reader could be, without re-reading a schema
 * that changes under it; else 0. */
int hr_writer_current_rows(hr_server *server, hr_strlist *out);
/* From the worker thread: whether to stop now (before the next step, or
 * instead of waiting longer for a lock); err says why. While a job runs
 * the writer's connection asks it too, wherever it waits (hr_db_set_stop). */
int hr_job_should_stop(hr_job *job, hr_error *err);
/* Stop a job (loop thread) with code (HR_CANCELLED, HR_DEADLINE_EXCEEDED):
 * finished at once if queued; if running, it stops at its next step or
 * wait and its call ends then, with code unless it had already committed
 * everything. */
void hr_writer_stop(hr_server *server, hr_job *job, hr_code code);
/* Move the events of the running job to its call (loop thread). */
void hr_writer_drain(hr_server *server);

/* Whether the writer is running a job now. */
int hr_writer_busy(const hr_server *server);

/* ------------------------------------------------------------------ */
/* Events (events.c): the core says what happened, features listen     */
/* ------------------------------------------------------------------ */

typedef enum hr_event_kind {
	/* The writer started job (detail: its method path). */
	HR_EVENT_JOB_STARTED,
	/* The running job reported progress: detail is what it does now,
	 * or NULL when it only sent its client a message (a step may have
	 * committed). */
	HR_EVENT_JOB_PROGRESS,
	/* A job ended and its call was finished; the next queued job, if
	 * any, has started already (hr_writer_busy). job is NULL: freed. */
	HR_EVENT_JOB_FINISHED,
	/* A new revision map replaced the old (the heads may have moved). */
	HR_EVENT_MAP_RELOADED,
	/* SIGHUP: reread from disk what you load from it. */
	HR_EVENT_RELOAD,
	/* Shutdown began: end your calls and close your handles (the loop
	 * ends once every handle is closed). */
	HR_EVENT_SHUTTING_DOWN,
	/* The loop has ended (hr_server_free): free your state. */
	HR_EVENT_FREE,
} hr_event_kind;

typedef struct hr_event {
	hr_event_kind kind;
	const hr_job *job;  /* JOB_STARTED, JOB_PROGRESS; else NULL */
	const char *detail; /* see the kinds; else NULL */
} hr_event;

/* Told of every event on the loop thread, with the ud it subscribed. */
typedef void (*hr_event_fn)(hr_server *server, const hr_event *ev, void *ud);

#define HR_EVENT_SINKS_MAX 16

typedef struct hr_event_sink {
	hr_event_fn fn;
	void *ud;
} hr_event_sink;

/* Subscribe fn (with ud) to every later event; a feature does this at
 * start (hr_methods_init). -HR_INTERNAL past HR_EVENT_SINKS_MAX. */
int hr_events_subscribe(hr_server *server, hr_event_fn fn, void *ud,
			hr_error *err);
/* The ud fn subscribed with (NULL if it did not): where a feature
 * keeps its state for this server. */
void *hr_events_data(const hr_server *server, hr_event_fn fn);
/* Tell every subscriber, in subscription order. */
void hr_events_fire(hr_server *server, hr_event_kind kind, const hr_job *job,
		    const char *detail);

/* Set up the features (methods/table.c): each subscribes to the events
 * with its own state. Called once by hr_server_init. */
int hr_methods_init(hr_server *server, hr_error *err);

/* ------------------------------------------------------------------ */
/* Status reads (reader.c)                                             */
/* ------------------------------------------------------------------ */

typedef struct hr_read hr_read;
/* A read's result, on the loop thread: rc 0 and the rows of
 * alembic_version, or rc < 0 and err. Both are valid during the call. */
typedef void (*hr_read_cb)(hr_read *read, int rc, const hr_strlist *rows,
			   const hr_error *err);

/* One request for the version rows; embed it in your own struct. */
struct hr_read {
	hr_read_cb done;
	hr_read *next; /* reader.c's */
};

typedef struct hr_reads {
	int async;     /* PostgreSQL: reads run on the pool */
	/* SQLite: one read answers every call of one poll phase. */
	uv_prepare_t tick;   /* counts phases: before the poll */
	uv_check_t tock;     /* and after it */
	uint64_t iteration;
	uint64_t cached_at;  /* iteration + 1 of the cached read; 0 none */
	hr_strlist cached;
	int busy;      /* a read is on the pool, or its callbacks are running */
	uv_work_t req;
	hr_read *waiting; /* for the next read */
	hr_read *served;  /* by the read on the pool */
	hr_read warmup;   /* the first connection attempt, at start */
	int rc;
	hr_strlist rows;
	hr_error err;
} hr_reads;

/*
 * Read alembic_version's rows through server->reader, then call done.
 * On SQLite that happens at once, on the loop (before this returns). On
 * PostgreSQL it happens on the pool, and done is called from the loop
 * later; requests made while a read is under way share the next read.
 */
void hr_reader_submit(hr_server *server, hr_read *read, hr_read_cb done);
/* Forget a submitted read whose done has not run yet: it never will. */
void hr_reader_withdraw(hr_server *server, hr_read *read);
/* What a call does with the version rows (rc < 0: err says why). */
typedef void (*hr_call_rows_fn)(hr_call *call, void *ud, int rc,
				const hr_strlist *rows, const hr_error *err);
/* Answer call from the rows: fn runs now or once the read finishes, and
 * then ud is freed with free_ud (if not NULL). A call the client cancels
 * or abandons meanwhile is finished CANCELLED without fn. fn must finish
 * the call. */
void hr_reader_for_call(hr_call *call, hr_call_rows_fn fn, void *ud,
			void (*free_ud)(void *ud));
/* Start: decide sync or async; on PostgreSQL connect in the background
 * (whether the database is up shows in the log, not in hrd's exit). */
void hr_reader_init(hr_server *server);
/* Shutdown: close the reader's handle and drop its cache. */
void hr_reader_close(hr_server *server);

/* ------------------------------------------------------------------ */
/* The server                                                          */
/* ------------------------------------------------------------------ */

struct hr_server {
	uv_loop_t *loop;
	hr_config cfg;
	uv_pipe_t listener;
	int lock_fd; /* flock'ed "<socket>.lock" held while we run */
	int activated; /* the socket came from systemd (LISTEN_FDS) */
	char activated_path[sizeof(((struct sockaddr_un *)0)->sun_path) + 1];
	uv_signal_t sigint, sigterm;
	uv_timer_t sweep; /* enforces frame and idle timeouts */
	uv_async_t wakeup; /* worker -> loop: events are waiting */
	hr_conn *conns;
	size_t n_conns;
	hr_dburl url;
	hr_db *reader; /* status reads (reader.c), never two at once */
	hr_reads reads;
	hr_db *writer; /* the writer job's connection */
	hr_revmap *map; /* NULL when the migrations failed to load */
	hr_error map_error;
	size_t map_refs; /* jobs holding `map` */
	uint64_t map_generation; /* bumped by every successful (re)load */
	struct hr_retired_map *retired; /* superseded maps jobs still hold */
	uv_signal_t sighup;
	uv_fs_event_t dir_watch;  /* the migrations directory */
	uv_timer_t reload_timer;  /* debounces its events */
	hr_job *running; /* the job on the pool, if any */
	hr_event_sink sinks[HR_EVENT_SINKS_MAX]; /* events.c */
	size_t n_sinks;
	hr_job *queue, **queue_tail;
	gid_t admin_gid;
	int have_admin_gid;
	gid_t socket_gid; /* (gid_t)-1: leave the socket's group alone */
	int stopping;
	/* Shared: libuv reads one stream at a time. Small, because what a
	 * paused connection had read and not handled is kept (conn.c). */
	uint8_t read_buf[16384];
};

int hr_server_init(hr_server *server, uv_loop_t *loop, const hr_config *cfg,
		   hr_error *err);
/* Run until SIGINT/SIGTERM; then shut down cleanly. */
int hr_server_run(hr_server *server);
/* The writer finished its last job; during shutdown the loop may end. */
void hr_server_job_done(hr_server *server);
void hr_server_free(hr_server *server);

/* The revision map (reload.c). A job holds the map it plans with until
 * it ends; a reload swaps in a new map without disturbing it. */
const hr_revmap *hr_server_map_hold(hr_server *server);
void hr_server_map_release(hr_server *server, const hr_revmap *map);
/* Reload the migrations directory; on failure the old map stays. */
int hr_server_reload(hr_server *server, hr_error *err);
/* SIGHUP and directory-change reloading: set up, close, free maps. */
void hr_reload_init(hr_server *server);
void hr_reload_close(hr_server *server);
void hr_reload_free(hr_server *server);

/* The listening socket (listener.c). */
int hr_listener_open(hr_server *server, hr_error *err);
void hr_listener_close(hr_server *server);

#endif
