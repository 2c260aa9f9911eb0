/*
 * ws.h — the RFC 6455 WebSocket framing, server side, over byte buffers:
 * an incremental decoder of client frames (masking required, lengths
 * capped, fragmentation, control frames, UTF-8 of text messages and close
 * reasons), an encoder of server frames (never masked), and the
 * connection's WebSocket state machine.  Pure code, no I/O; the opening
 * handshake is in ws_handshake.h.  Contract and limits: docs/websocket.md.
 */
#ifndef PARLEY_WS_H
#define PARLEY_WS_H

#include <stddef.h>
#include <stdint.h>

#include "utf8.h"

#define WS_MAX_HEADER		14	/* 2 + 8 (length) + 4 (mask) */
#define WS_MAX_CONTROL		125	/* payload of ping, pong, close */
#define WS_MAX_REASON		123	/* close reason after the code */
#define WS_KEEP_BUFFER		1024	/* reassembly buffer kept between
					   messages; a larger one is freed */

enum ws_opcode {
	WS_OP_CONT	= 0x0,
	WS_OP_TEXT	= 0x1,
	WS_OP_BINARY	= 0x2,
	WS_OP_CLOSE	= 0x8,
	WS_OP_PING	= 0x9,
	WS_OP_PONG	= 0xa,
};

/* Close codes the codec itself produces or interprets (RFC 6455 §7.4.1). */
#define WS_CLOSE_NORMAL		1000
#define WS_CLOSE_GOING_AWAY	1001
#define WS_CLOSE_PROTOCOL	1002
#define WS_CLOSE_NO_STATUS	1005	/* never on the wire: "no code" */
#define WS_CLOSE_INVALID_DATA	1007
#define WS_CLOSE_POLICY		1008
#define WS_CLOSE_TOO_BIG	1009
#define WS_CLOSE_INTERNAL	1011

/*
 * The connection's WebSocket state.  Every change goes through
 * ws_transition() with one of the inputs below.
 *   HANDSHAKE --done--> OPEN           HANDSHAKE --anything else--> CLOSED
 *   OPEN --close received / sent--> CLOSING  (one side has sent its close)
 *   CLOSING --the other close--> CLOSED      (both sides have)
 *   OPEN, CLOSING --failed / eof--> CLOSED   (drop the TCP connection)
 *   CLOSED stays CLOSED.
 */
enum ws_state {
	WS_HANDSHAKE,
	WS_OPEN,
	WS_CLOSING,
	WS_CLOSED,
};

enum ws_input {
	WS_IN_HANDSHAKE_DONE,	/* the 101 answer was queued */
	WS_IN_HANDSHAKE_FAILED,	/* an HTTP error was queued */
	WS_IN_CLOSE_RECEIVED,	/* the peer's close frame arrived */
	WS_IN_CLOSE_SENT,	/* our close frame was queued */
	WS_IN_FAILED,		/* protocol error: send close, drop TCP */
	WS_IN_EOF,		/* the TCP connection ended */
};

enum ws_state	 ws_transition(enum ws_state, enum ws_input);
const char	*ws_state_name(enum ws_state);

enum ws_event_type {
	WS_EV_NONE,	/* every byte given was consumed: need more */
	WS_EV_TEXT,	/* a whole text message, valid UTF-8 */
	WS_EV_BINARY,	/* a whole binary message */
	WS_EV_PING,	/* answer with a pong carrying the same payload */
	WS_EV_CLOSE,	/* the peer's close: code (1005 if none) and reason */
	WS_EV_ERROR,	/* fail the connection with close code `code` */
};

struct ws_event {
	enum ws_event_type	 type;
	const uint8_t		*data;	/* valid until the next ws_decode */
	size_t			 len;
	uint16_t		 code;	/* WS_EV_CLOSE, WS_EV_ERROR */
	const char		*why;	/* WS_EV_ERROR: short text for logs */
};

/* The streaming UTF-8 check of a text message, across its fragments. */
struct ws_decoder {
	enum ws_state	 state;
	size_t		 max_message;	/* cap of one (reassembled) message */
	uint8_t		 done;		/* close received or failed: discard */

	/* the frame being read */
	uint8_t		 hdr[WS_MAX_HEADER];
	uint8_t		 hdr_len, hdr_need;
	uint8_t		 in_payload;	/* header done, reading payload */
	uint8_t		 opcode, fin;
	uint8_t		 mask[4];
	uint8_t		 mask_pos;
	uint64_t	 remaining;	/* payload bytes still to read */

	/* a control frame's payload */
	uint8_t		 ctl[WS_MAX_CONTROL];
	uint8_t		 ctl_len;

	/* the data message being reassembled */
	uint8_t		 msg_opcode;	/* 0: none, else TEXT or BINARY */
	uint8_t		 delivered;	/* msg was handed out: reset it */
	uint8_t		*msg;
	size_t		 msg_len, msg_cap;
	struct utf8_stream utf8;
};

/* A decoder in state HANDSHAKE for messages of at most max_message bytes
 * (frames and reassembled fragments alike). */
void	ws_decoder_init(struct ws_decoder *, size_t max_message);
/* Apply an input to the decoder's state (ws_transition); returns it. */
enum ws_state	ws_decoder_step(struct ws_decoder *, enum ws_input);
void	ws_decoder_free(struct ws_decoder *);
/* Free the reassembly buffer if no message is in progress (idle). */
void	ws_decoder_trim(struct ws_decoder *);

/*
 * Consume bytes of buf[0..len) up to and including the first complete
 * event and return how many were consumed; *ev tells what happened
 * (WS_EV_NONE: all of buf was consumed and more is needed).  Reads frames
 * in states OPEN and CLOSING; once the peer's close has arrived (WS_EV_CLOSE),
 * after WS_EV_ERROR and in state CLOSED, input is discarded.  In state
 * HANDSHAKE nothing is consumed and the event is WS_EV_ERROR (1011).
 * The payload of an event points into the decoder and stays valid until
 * the next call.  Allocates only to grow the reassembly buffer, never
 * beyond max_message.
 */
size_t	ws_decode(struct ws_decoder *, const uint8_t *buf, size_t len,
	    struct ws_event *ev);

/*
 * Server frames (never masked).  ws_frame_header writes the header of a
 * frame carrying len bytes into hdr and returns its size (2, 4 or 10);
 * the payload follows it unchanged.  Control frames (close, ping, pong)
 * must be final and at most 125 bytes: 0 is returned otherwise.
 */
size_t	ws_frame_header(uint8_t hdr[WS_MAX_HEADER], enum ws_opcode,
	    int fin, uint64_t len);

/*
 * A whole final frame (header + payload) into out[0..cap).  Returns its
 * size; when that is above cap nothing is written (call again with
 * enough room).  0 for a control frame above 125 bytes.
 */
size_t	ws_encode(uint8_t *out, size_t cap, enum ws_opcode,
	    const void *payload, size_t len);

/*
 * The payload of a close frame: the code, then the reason cut to at most
 * 123 bytes at a UTF-8 boundary.  WS_CLOSE_NO_STATUS gives an empty
 * payload (a close without a code).  Returns its length.
 */
size_t	ws_close_payload(uint8_t out[WS_MAX_CONTROL], uint16_t code,
	    const char *reason, size_t reason_len);

/* 1 when a peer may send code in a close frame (RFC 6455 §7.4). */
int	ws_close_code_valid(uint16_t code);

#endif
