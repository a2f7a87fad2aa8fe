/*
 * proc_connector.c: the smallest native surface proc-tree needs to hear the kernel's
 * process connector (NETLINK_CONNECTOR, group CN_IDX_PROC). Node has no AF_NETLINK
 * sockets, so this file opens one, subscribes, hands raw datagrams to JavaScript and
 * unsubscribes. All decoding happens in TypeScript (decode-datagram.ts), so the same
 * code reads live datagrams and replayed capture files.
 *
 * JavaScript surface:
 *   open(rcvbufBytes) -> { fd, rcvbufBytes, forced }
 *   recv(fd, maxBytes, waitMs) -> Promise<{ data: Buffer, datagrams, enobufs, foreign, truncated }>
 *   close(fd) -> undefined
 *   monotonicToRealtimeNs() -> bigint (CLOCK_REALTIME - CLOCK_MONOTONIC, read back to back)
 *
 * Why napi_async_work (libuv threadpool) with a bounded poll(), and not uv_poll:
 * the main JS thread is also the thread that writes SQLite (better-sqlite3 is
 * synchronous) and runs the tree. With uv_poll the socket is drained only when that
 * thread gets back to the event loop, so one slow batch of inserts during a fork storm
 * leaves the kernel queue to fill. A threadpool worker drains the socket in large
 * batches (up to maxBytes per call, non-blocking after the first datagram) while JS is
 * busy with the previous batch. poll() is bounded by waitMs so a pending read always
 * finishes soon after close() is requested: close(2) on another thread does not wake
 * a blocked recv(2) on Linux. Cost: one of libuv's 4 threadpool threads is mostly
 * parked in poll() while a capture runs.
 *
 * ENOBUFS: the kernel reports a receive-queue overflow once, as an error from recv,
 * then the socket keeps working. It is returned as a count (enobufs), never thrown, so
 * the caller can record the loss and re-seed from /proc.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/cn_proc.h>
#include <linux/connector.h>
#include <linux/netlink.h>
#include <node_api.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* A connector datagram is one nlmsghdr + cn_msg + proc_event (76 bytes). Stop a batch
 * when less than this is left so no datagram is cut by our own buffer. */
#define MIN_FREE_FOR_DATAGRAM 4096

static napi_value throw_errno(napi_env env, const char *what, int err) {
  char message[256];
  const char *hint = "";
  if (err == EPERM || err == EACCES) {
    hint = ": the proc connector needs root or CAP_NET_ADMIN (run with sudo, or grant cap_net_admin)";
  } else if (err == EPROTONOSUPPORT) {
    hint = ": this kernel has no process connector (CONFIG_PROC_EVENTS)";
  }
  snprintf(message, sizeof message, "%s failed: %s%s", what, strerror(err), hint);
  napi_value code_value, message_value, error;
  const char *code = err == EPERM || err == EACCES ? "EPERM" : "ENETLINK";
  napi_create_string_utf8(env, code, NAPI_AUTO_LENGTH, &code_value);
  napi_create_string_utf8(env, message, NAPI_AUTO_LENGTH, &message_value);
  napi_create_error(env, code_value, message_value, &error);
  napi_value errno_value;
  napi_create_int32(env, err, &errno_value);
  napi_set_named_property(env, error, "errno", errno_value);
  napi_throw(env, error);
  return NULL;
}

/* Sends one connector control message (LISTEN or IGNORE) to the kernel. */
static int send_mcast_op(int fd, uint32_t op) {
  struct {
    struct nlmsghdr nl;
    struct cn_msg cn;
    uint32_t op;
  } __attribute__((packed)) request;
  memset(&request, 0, sizeof request);
  request.nl.nlmsg_len = sizeof request;
  request.nl.nlmsg_type = NLMSG_DONE;
  request.nl.nlmsg_pid = 0; /* let the kernel pick our port id */
  request.cn.id.idx = CN_IDX_PROC;
  request.cn.id.val = CN_VAL_PROC;
  request.cn.len = sizeof(uint32_t); /* the 4-byte form: every event type, no filter */
  request.op = op;
  ssize_t sent = send(fd, &request, sizeof request, 0);
  return sent == (ssize_t)sizeof request ? 0 : errno;
}

static napi_value js_open(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int64_t wanted = 64 * 1024 * 1024;
  if (argc >= 1) napi_get_value_int64(env, argv[0], &wanted);

  int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_CONNECTOR);
  if (fd < 0) return throw_errno(env, "socket(AF_NETLINK, NETLINK_CONNECTOR)", errno);

  /* A fork storm produces ~3 datagrams per process faster than JS can insert them;
   * SO_RCVBUFFORCE ignores net.core.rmem_max (root only), SO_RCVBUF is the fallback. */
  int size = (int)wanted;
  int forced = setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size) == 0;
  if (!forced) setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);

  struct sockaddr_nl local;
  memset(&local, 0, sizeof local);
  local.nl_family = AF_NETLINK;
  local.nl_groups = CN_IDX_PROC;
  local.nl_pid = 0;
  if (bind(fd, (struct sockaddr *)&local, sizeof local) != 0) {
    int err = errno;
    close(fd);
    return throw_errno(env, "bind(CN_IDX_PROC)", err);
  }
  int err = send_mcast_op(fd, PROC_CN_MCAST_LISTEN);
  if (err != 0) {
    close(fd);
    return throw_errno(env, "subscribe (PROC_CN_MCAST_LISTEN)", err);
  }

  int actual = 0;
  socklen_t actual_len = sizeof actual;
  getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &actual, &actual_len);

  napi_value result, v;
  napi_create_object(env, &result);
  napi_create_int32(env, fd, &v);
  napi_set_named_property(env, result, "fd", v);
  napi_create_int32(env, actual, &v);
  napi_set_named_property(env, result, "rcvbufBytes", v);
  napi_get_boolean(env, forced, &v);
  napi_set_named_property(env, result, "forced", v);
  return result;
}

static napi_value js_close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t fd = -1;
  if (argc < 1 || napi_get_value_int32(env, argv[0], &fd) != napi_ok || fd < 0) {
    napi_throw_type_error(env, NULL, "close(fd): fd must be a non-negative integer");
    return NULL;
  }
  /* Unsubscribe first: the kernel keeps a global listener count and generates events
   * for everyone as long as it is above zero. */
  send_mcast_op(fd, PROC_CN_MCAST_IGNORE);
  close(fd);
  return NULL;
}

typedef struct {
  napi_async_work work;
  napi_deferred deferred;
  int fd;
  int wait_ms;
  size_t capacity;
  char *buffer;
  size_t used;
  uint32_t datagrams;
  uint32_t enobufs;
  uint32_t foreign;   /* datagrams not sent by the kernel (nl_pid != 0): dropped */
  uint32_t truncated; /* datagrams longer than the space left (MSG_TRUNC) */
  int error;          /* errno of a hard failure, 0 if none */
} recv_job;

static void recv_execute(napi_env env, void *data) {
  (void)env;
  recv_job *job = data;
  struct pollfd pfd = {.fd = job->fd, .events = POLLIN};
  int ready = poll(&pfd, 1, job->wait_ms);
  if (ready < 0) {
    if (errno != EINTR) job->error = errno;
    return;
  }
  if (ready == 0) return; /* nothing within wait_ms: the caller checks whether to stop */
  while (job->capacity - job->used >= MIN_FREE_FOR_DATAGRAM) {
    struct sockaddr_nl from;
    socklen_t from_len = sizeof from;
    size_t space = job->capacity - job->used;
    ssize_t n = recvfrom(job->fd, job->buffer + job->used, space, MSG_DONTWAIT | MSG_TRUNC,
                         (struct sockaddr *)&from, &from_len);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == ENOBUFS) {
        job->enobufs++;
        continue; /* the socket stays usable: keep draining what is still queued */
      }
      if (errno != EAGAIN && errno != EWOULDBLOCK) job->error = errno;
      break;
    }
    if (from.nl_pid != 0) {
      job->foreign++;
      continue;
    }
    if ((size_t)n > space) {
      job->truncated++;
      n = (ssize_t)space;
    }
    job->used += (size_t)n;
    job->datagrams++;
  }
}

static void free_buffer(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  free(data);
}

static void recv_complete(napi_env env, napi_status status, void *data) {
  recv_job *job = data;
  if (status != napi_ok || job->error != 0) {
    napi_value code, message, error;
    char text[160];
    snprintf(text, sizeof text, "recv from proc connector failed: %s",
             strerror(job->error ? job->error : EIO));
    napi_create_string_utf8(env, "ENETLINK", NAPI_AUTO_LENGTH, &code);
    napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &message);
    napi_create_error(env, code, message, &error);
    napi_reject_deferred(env, job->deferred, error);
    free(job->buffer);
  } else {
    napi_value result, buffer, v;
    napi_create_object(env, &result);
    if (job->used > 0) {
      /* Hand the malloc'd block to JS without a copy; it is freed with the Buffer. */
      napi_create_external_buffer(env, job->used, job->buffer, free_buffer, NULL, &buffer);
    } else {
      free(job->buffer);
      void *unused;
      napi_create_buffer(env, 0, &unused, &buffer);
    }
    napi_set_named_property(env, result, "data", buffer);
    napi_create_uint32(env, job->datagrams, &v);
    napi_set_named_property(env, result, "datagrams", v);
    napi_create_uint32(env, job->enobufs, &v);
    napi_set_named_property(env, result, "enobufs", v);
    napi_create_uint32(env, job->foreign, &v);
    napi_set_named_property(env, result, "foreign", v);
    napi_create_uint32(env, job->truncated, &v);
    napi_set_named_property(env, result, "truncated", v);
    napi_resolve_deferred(env, job->deferred, result);
  }
  napi_delete_async_work(env, job->work);
  free(job);
}

static napi_value js_recv(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t fd = -1, max_bytes = 1 << 20, wait_ms = 200;
  if (argc < 1 || napi_get_value_int32(env, argv[0], &fd) != napi_ok || fd < 0) {
    napi_throw_type_error(env, NULL, "recv(fd, maxBytes, waitMs): fd must be a non-negative integer");
    return NULL;
  }
  if (argc >= 2) napi_get_value_int32(env, argv[1], &max_bytes);
  if (argc >= 3) napi_get_value_int32(env, argv[2], &wait_ms);
  if (max_bytes < 2 * MIN_FREE_FOR_DATAGRAM) max_bytes = 2 * MIN_FREE_FOR_DATAGRAM;

  recv_job *job = calloc(1, sizeof *job);
  if (job == NULL || (job->buffer = malloc((size_t)max_bytes)) == NULL) {
    free(job);
    napi_throw_error(env, "ENOMEM", "recv: out of memory for the receive batch");
    return NULL;
  }
  job->fd = fd;
  job->wait_ms = wait_ms;
  job->capacity = (size_t)max_bytes;

  napi_value promise, name;
  napi_create_promise(env, &job->deferred, &promise);
  napi_create_string_utf8(env, "proc-connector-recv", NAPI_AUTO_LENGTH, &name);
  napi_create_async_work(env, NULL, name, recv_execute, recv_complete, job, &job->work);
  napi_queue_async_work(env, job->work);
  return promise;
}

/* proc_event timestamps are CLOCK_MONOTONIC (ktime_get_ns). Date.now() has only ms
 * resolution, so the offset to wall-clock time is taken here: the tightest of a few
 * REALTIME/MONOTONIC/REALTIME sandwiches, which is good to about a microsecond. */
static napi_value js_monotonic_to_realtime_ns(napi_env env, napi_callback_info info) {
  (void)info;
  int64_t best_offset = 0, best_width = INT64_MAX;
  for (int i = 0; i < 8; i++) {
    struct timespec r1, m, r2;
    clock_gettime(CLOCK_REALTIME, &r1);
    clock_gettime(CLOCK_MONOTONIC, &m);
    clock_gettime(CLOCK_REALTIME, &r2);
    int64_t r1ns = (int64_t)r1.tv_sec * 1000000000 + r1.tv_nsec;
    int64_t r2ns = (int64_t)r2.tv_sec * 1000000000 + r2.tv_nsec;
    int64_t mns = (int64_t)m.tv_sec * 1000000000 + m.tv_nsec;
    if (r2ns - r1ns < best_width) {
      best_width = r2ns - r1ns;
      best_offset = r1ns + (r2ns - r1ns) / 2 - mns;
    }
  }
  napi_value result;
  napi_create_bigint_int64(env, best_offset, &result);
  return result;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"open", NULL, js_open, NULL, NULL, NULL, napi_default, NULL},
      {"recv", NULL, js_recv, NULL, NULL, NULL, napi_default, NULL},
      {"close", NULL, js_close, NULL, NULL, NULL, napi_default, NULL},
      {"monotonicToRealtimeNs", NULL, js_monotonic_to_realtime_ns, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
