/* fuzz-proto.c: libFuzzer target for worker protocol messages (ui/proto.c).
 *
 * The input is what a peer sends: it goes through a proto_reader over a
 * pipe as the worker and the wizard read it (lines, PROTO_MAX_LINE), and
 * every line is decoded. A message that decodes must encode to a line
 * that decodes to the same message.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ui/proto.h"
#include "tests/fuzz/fuzz.h"

static void
roundtrip(const struct proto_msg *m)
{
        struct strbuf sb = {0};
        struct proto_msg back = {0};
        struct diag d = {0};

        proto_encode(m, &sb);
        if (sb.len == 0 || sb.buf[sb.len - 1] != '\n' ||
            proto_decode(sb.buf, sb.len - 1, &back, &d) < 0) {
                fprintf(stderr, "re-encoded message does not decode: %s\n", d.msg);
                abort();
        }
        if (strcmp(back.type, m->type) != 0)
                abort();
        fuzz_same_kv(&m->kv, &back.kv, "a protocol message");
        proto_release(&back);
        strbuf_release(&sb);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct proto_reader rd = {0};
        int fds[2];
        size_t off = 0;

        if (pipe2(fds, O_NONBLOCK | O_CLOEXEC) < 0)
                abort();
        /* A pipe holds 64 KiB: write, read, and decode, in turns. */
        for (;;) {
                struct proto_msg m = {0};
                struct diag d = {0};
                int r;

                while (off < size) {
                        ssize_t n = write(fds[1], data + off, size - off);

                        if (n <= 0)
                                break;
                        off += (size_t)n;
                }
                if (off == size && fds[1] >= 0) {
                        close(fds[1]);
                        fds[1] = -1;
                }
                r = proto_read(&rd, fds[0]);
                while ((r = proto_next(&rd, &m, &d)) != 0) {
                        if (r == 1) {
                                roundtrip(&m);
                                proto_release(&m);
                        } else if (r == -EMSGSIZE) {
                                break;
                        }
                }
                if (r == -EMSGSIZE || (fds[1] < 0 && proto_read(&rd, fds[0]) == 0))
                        break;
        }
        proto_reader_release(&rd);
        if (fds[1] >= 0)
                close(fds[1]);
        close(fds[0]);
        return 0;
}
