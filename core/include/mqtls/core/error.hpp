#pragma once
/// @file
/// Every failure in mqtls is an `Errc`, grouped by class in the high byte, with a one-line
/// message (what went wrong) and a hint (what to do about it), both static strings. An `Error`
/// adds a `detail` integer that keeps the underlying number: an mbedTLS code, an errno, an MQTT
/// return code, or a byte offset, so nothing is lost on the way up.

#include <cstdint>

namespace mqtls {

/// The class of an error, from the high byte of its `Errc` value.
enum class ErrorClass : std::uint8_t {
    codec = 0x01,    ///< bytes that are not a valid MQTT 3.1.1 packet, or a packet we cannot encode
    session = 0x02,  ///< the MQTT conversation went wrong (state, timeouts, refusals)
    transport = 0x03,  ///< sockets and name resolution
    tls = 0x04,        ///< certificates, handshake, alerts
    storage = 0x05,    ///< outbox and session files
    config = 0x06,     ///< arguments and settings given by the caller
    node = 0x07,       ///< the device runtime: sensors and readings
};

/// Whether retrying (a new connection, after a backoff) can cure an error. The device runtime
/// stops on a permanent error instead of hammering the broker, and retries a transient one.
enum class RetryClass : std::uint8_t {
    /// The network, the broker's load or the conversation went wrong; a new connection starts
    /// afresh and may succeed.
    transient,
    /// Retrying cannot help: a broker we must not trust, credentials or a client certificate it
    /// refuses, files or arguments we cannot use. A person has to change something.
    permanent,
    /// The detail decides (is_permanent()): a CONNACK return code, a TLS alert number.
    by_detail,
};

// One table drives the enum, message(), hint() and retry_class(), so they cannot drift apart; a
// code added without a retry class does not compile.
// X(name, value, retry class, message, hint)
#define MQTLS_ERRC_TABLE(X)                                                                        \
    X(need_more, 0x0101, transient, "the packet is incomplete: more bytes are needed",             \
      "not an error: feed the next bytes from the transport and try again")                        \
    X(buffer_too_small, 0x0102, transient, "the output buffer is too small for the packet",        \
      "size the buffer with encoded_size() first")                                                 \
    X(malformed_remaining_length, 0x0103, transient,                                               \
      "the remaining length field is longer than 4 bytes",                                         \
      "the peer is not speaking MQTT 3.1.1, or the stream is out of sync; close the connection")   \
    X(overlong_remaining_length, 0x0104, transient,                                                \
      "the remaining length is not in its shortest form",                                          \
      "the peer's encoder is broken; close the connection")                                        \
    X(packet_too_large, 0x0105, transient, "the packet is larger than the configured maximum",     \
      "raise the maximum packet size, or ask the sender for smaller messages")                     \
    X(invalid_packet_type, 0x0106, transient, "the packet type is reserved (0 or 15)",             \
      "the peer is not speaking MQTT 3.1.1; close the connection")                                 \
    X(invalid_fixed_header_flags, 0x0107, transient,                                               \
      "the reserved flag bits of the fixed header are wrong",                                      \
      "the peer violates MQTT 3.1.1 section 2.2.2; close the connection")                          \
    X(invalid_qos, 0x0108, transient, "the QoS level is 3, which MQTT does not define",            \
      "use QoS 0, 1 or 2")                                                                         \
    X(zero_packet_id, 0x0109, transient, "the packet identifier is 0, which MQTT forbids here",    \
      "packet identifiers of QoS 1/2, SUBSCRIBE and UNSUBSCRIBE packets must be 1..65535")         \
    X(length_mismatch, 0x010a, transient,                                                          \
      "the packet's contents do not match its remaining length",                                   \
      "the packet is truncated or has trailing bytes; close the connection")                       \
    X(malformed_utf8, 0x010b, transient, "a string is not well-formed UTF-8",                      \
      "MQTT strings must be UTF-8 (MQTT-1.5.3-1)")                                                 \
    X(utf8_null_character, 0x010c, transient, "a string contains the character U+0000",            \
      "MQTT strings must not contain U+0000 (MQTT-1.5.3-2)")                                       \
    X(utf8_surrogate, 0x010d, transient, "a string contains a UTF-16 surrogate (U+D800..U+DFFF)",  \
      "encode the text as proper UTF-8")                                                           \
    X(string_too_long, 0x010e, transient, "a string or binary field is longer than 65535 bytes",   \
      "MQTT length-prefixes fields with 16 bits; shorten it")                                      \
    X(empty_topic, 0x010f, transient, "the topic name or filter is empty",                         \
      "topics must be at least one character long (MQTT-4.7.3-1)")                                 \
    X(wildcard_in_topic, 0x0110, transient, "the topic name contains a wildcard ('+' or '#')",     \
      "wildcards are only allowed in subscription filters, not when publishing (MQTT-3.3.2-2)")    \
    X(invalid_topic_filter, 0x0111, transient, "the topic filter misplaces '+' or '#'",            \
      "'#' must be last and alone in its level; '+' must fill a whole level, e.g. a/+/c or a/#")   \
    X(invalid_protocol_name, 0x0112, transient, "the CONNECT protocol name is not \"MQTT\"",       \
      "the peer speaks MQTT 3.1 (\"MQIsdp\") or another protocol; mqtls speaks 3.1.1 and 5")       \
    X(unsupported_protocol_level, 0x0113, transient,                                               \
      "the CONNECT protocol level is not 4 (MQTT 3.1.1) or, with MQTT 5 built in, 5",              \
      "the detail holds the level the peer asked for; configure it for MQTT 3.1.1 or 5")           \
    X(invalid_connect_flags, 0x0114, transient,                                                    \
      "the CONNECT flags are inconsistent or use a reserved bit",                                  \
      "see MQTT 3.1.1 section 3.1.2.3")                                                            \
    X(invalid_connack_flags, 0x0115, transient,                                                    \
      "the CONNACK flags use reserved bits or are inconsistent",                                   \
      "the broker violates MQTT 3.1.1 section 3.2.2.1; close the connection")                      \
    X(invalid_return_code, 0x0116, transient,                                                      \
      "a CONNACK or SUBACK return code is not defined by MQTT 3.1.1",                              \
      "the broker may speak another MQTT version; close the connection")                           \
    X(empty_subscription_list, 0x0117, transient,                                                  \
      "a SUBSCRIBE, SUBACK or UNSUBSCRIBE carries no entries",                                     \
      "give at least one topic filter (MQTT-3.8.3-3, MQTT-3.10.3-2)")                              \
    X(invalid_subscription_options, 0x0118, transient,                                             \
      "the subscription options byte has reserved bits set or an invalid combination",             \
      "3.1.1: only the QoS bits (MQTT-3-8.3-4); 5: no Retain Handling 3, no No Local on $share/")  \
    X(malformed_variable_byte_integer, 0x0119, transient,                                          \
      "a variable byte integer is longer than 4 bytes or not in its shortest form",                \
      "the peer violates MQTT 5 section 1.5.5 [MQTT-1.5.5-1]; close the connection")               \
    X(property_unknown, 0x011a, transient, "a property identifier MQTT 5 does not define",         \
      "the peer sent a Malformed Packet (MQTT 5 section 2.2.2.2); close the connection")           \
    X(property_not_allowed, 0x011b, transient, "a property this packet may not carry",             \
      "MQTT 5 table 2-4 lists the packets each property may appear in; the sender is at fault")    \
    X(property_duplicated, 0x011c, transient,                                                      \
      "a property appears twice where MQTT 5 allows it once",                                      \
      "only User Property (and Subscription Identifier in PUBLISH) may repeat; a Protocol Error")  \
    X(property_value_invalid, 0x011d, transient,                                                   \
      "a property's value is one MQTT 5 does not allow (e.g. Receive Maximum or Topic Alias 0)",   \
      "the sender violates the section that defines the property; a Protocol Error")               \
    X(mqtt5_unavailable, 0x011e, permanent, "MQTT 5 was asked for, but this build leaves it out",  \
      "rebuild with -DMQTLS_MQTT5=ON, or use MQTT 3.1.1")                                          \
    X(mqtt5_only, 0x011f, permanent,                                                               \
      "the packet uses MQTT 5 features on an MQTT 3.1.1 connection",                               \
      "properties, reason codes, subscription options and AUTH need MQTT 5: connect with it")      \
    X(invalid_reason_code, 0x0120, transient, "a reason code this packet may not carry",           \
      "MQTT 5 table 2-6 lists the codes of each packet; the sender is at fault")                   \
    X(server_side_packet, 0x0121, transient,                                                       \
      "a packet only a server receives (CONNECT, SUBSCRIBE, UNSUBSCRIBE) or sends (CONNACK, "      \
      "SUBACK, UNSUBACK), which the client codec leaves out",                                      \
      "from a broker it is a Protocol Error; brokers and tests use mqtls::mqtt::server (the "      \
      "mqtls_mqtt_server library)")                                                                \
    X(not_connected, 0x0201, transient, "the session is not connected",                            \
      "call start_connect() and wait for the Connected event")                                     \
    X(already_connected, 0x0202, transient, "the session is already connecting or connected",      \
      "disconnect or wait for the transport to close before connecting again")                     \
    X(inflight_full, 0x0203, transient, "the in-flight window is full",                            \
      "wait for acknowledgements (PublishAcked events) before publishing more, or raise the "      \
      "in-flight capacity")                                                                        \
    X(output_full, 0x0204, transient, "the output buffer has no room for the packet",              \
      "send pending_output() to the transport and call consume_output(), then try again")          \
    X(keepalive_timeout, 0x0205, transient, "the broker did not answer a ping in time",            \
      "the connection is dead or too slow; reconnect")                                             \
    X(connect_timeout, 0x0206, transient, "the broker did not answer CONNECT in time",             \
      "check that the address is an MQTT broker and that it is not overloaded; reconnect")         \
    X(protocol_violation, 0x0207, transient,                                                       \
      "the broker sent a packet that is not allowed at this point",                                \
      "the broker is broken or hostile; the session is closed")                                    \
    X(unknown_packet_id, 0x0208, transient,                                                        \
      "the broker acknowledged a packet identifier we are not using",                              \
      "the broker is broken or the stream is out of sync; the session is closed")                  \
    X(broker_refused, 0x0209, by_detail, "the broker refused the connection",                      \
      "see the CONNACK return code in the detail: credentials, client id or protocol version")     \
    X(incoming_window_full, 0x020a, transient,                                                     \
      "the broker has more QoS 2 messages in flight than we can track",                            \
      "raise the incoming QoS 2 capacity of the session storage")                                  \
    X(event_queue_full, 0x020b, transient, "the event queue is full",                              \
      "call poll_event() until it returns nothing after every receive()")                          \
    X(message_too_large, 0x020c, transient, "the message does not fit the session's buffers",      \
      "raise the session's buffer sizes or send a smaller payload")                                \
    X(closed, 0x020d, transient, "the session has been closed", "start a new connection")          \
    X(unexpected_session_present, 0x020e, transient,                                               \
      "the broker says it kept a session although we asked for a clean one",                       \
      "a broker must answer a clean session with Session Present 0 (MQTT-3.2.2-1); this one is "   \
      "broken or not the broker it claims to be: the connection is closed")                        \
    X(broker_disconnected, 0x020f, by_detail, "the broker closed the connection with DISCONNECT",  \
      "MQTT 5: the detail is its Reason Code (e.g. 0x8E session taken over, 0x87 not authorized)") \
    X(broker_redirected, 0x0210, permanent, "the broker sent the client to another server",        \
      "MQTT 5 Reason Code 0x9C/0x9D with a Server Reference: connect there if you trust it; "      \
      "mqtls does not follow redirections on its own")                                             \
    X(broker_limit_exceeded, 0x0211, transient,                                                    \
      "the message breaks a limit the broker announced in CONNACK",                                \
      "MQTT 5 Maximum QoS, Retain Available or Maximum Packet Size; the detail is the property")   \
    X(message_rejected, 0x0212, by_detail, "the broker refused the message",                       \
      "MQTT 5 PUBACK/PUBREC Reason Code in the detail: 0x87 means its ACL does not allow this "    \
      "topic for this client; the message was not delivered")                                      \
    X(topic_alias_unresolved, 0x0213, transient,                                                   \
      "the broker sent a Topic Alias the session holds no topic for",                              \
      "the broker never set it on this connection (a Protocol Error), or set it for a topic "      \
      "longer "                                                                                    \
      "than 64 bytes, which a slot cannot keep; the detail is the alias")                          \
    X(resolve_failed, 0x0301, transient, "the broker's host name could not be resolved",           \
      "check the spelling of the host and the DNS settings; detail holds the getaddrinfo code")    \
    X(connection_refused, 0x0302, transient, "the broker refused the TCP connection",              \
      "check the port (8883 for MQTT over TLS) and that the broker is running")                    \
    X(connect_timed_out, 0x0303, transient, "the TCP connection was not established in time",      \
      "check that the host is reachable and no firewall drops the port; raise the timeout")        \
    X(network_unreachable, 0x0304, transient, "no route to the broker's address",                  \
      "check the device's network connection and address family (IPv4/IPv6)")                      \
    X(connection_reset, 0x0305, transient, "the connection was reset or closed by the peer",       \
      "the broker closed the connection (check its log for the reason); reconnect")                \
    X(socket_error, 0x0306, transient, "a socket operation failed",                                \
      "detail holds the errno; check system limits (open files) and the network")                  \
    X(io_timed_out, 0x0307, transient, "the operation did not complete in time",                   \
      "the broker or network is slow or gone; raise the timeout or reconnect")                     \
    X(entropy_unavailable, 0x0308, transient, "the system's random number source failed",          \
      "detail holds the errno; the device cannot make keys or TLS sessions without it")            \
    X(modem_link_failed, 0x0309, transient,                                                        \
      "the serial link to the modem failed (lost framing, a damaged frame, or no answer)",         \
      "detail: 1 lost sync, 2 frame too long, 3 CRC error, 4 unexpected frame, 5 modem silent; "   \
      "check the UART wiring and speed, and that the modem runs (docs/uart-modem.md)")             \
    X(connect_failed, 0x030a, transient,                                                           \
      "the connection to the broker could not be opened (the network client gave no reason)",      \
      "check the network link, the host name and the port (8883 for MQTT over TLS); an Arduino "   \
      "Client answers only yes or no, its core's debug log says why")                              \
    X(tls_setup_failed, 0x0401, transient, "the TLS configuration could not be set up",            \
      "detail holds the mbedTLS error code; this usually means an unsupported option or no "       \
      "memory")                                                                                    \
    X(ca_bundle_invalid, 0x0402, permanent, "the CA bundle holds no usable certificate",           \
      "pass the broker's root CA in PEM form (-----BEGIN CERTIFICATE-----), e.g. with --cafile; "  \
      "a device built with the lean TLS profile reads ECDSA P-256 roots only")                     \
    X(client_certificate_invalid, 0x0403, permanent, "the client certificate could not be parsed", \
      "pass the device certificate in PEM form, e.g. with --cert")                                 \
    X(client_key_invalid, 0x0404, permanent, "the client private key could not be parsed",         \
      "pass the device's private key in PEM form, unencrypted, e.g. with --key")                   \
    X(client_key_mismatch, 0x0405, permanent,                                                      \
      "the client private key does not belong to the certificate",                                 \
      "pass the key that was generated together with this certificate")                            \
    X(certificate_untrusted, 0x0406, permanent,                                                    \
      "the broker's certificate is not signed by a trusted CA",                                    \
      "pass the root CA that issued the broker's certificate, e.g. with --cafile; if it should "   \
      "have been trusted, someone may be intercepting the connection")                             \
    X(certificate_expired, 0x0407, permanent, "the broker's certificate (or its CA) has expired",  \
      "renew the broker certificate; if it is still valid, check the device clock")                \
    X(certificate_not_yet_valid, 0x0408, permanent,                                                \
      "the broker's certificate (or its CA) is not yet valid",                                     \
      "check the device clock; otherwise the certificate was issued with a future start date")     \
    X(hostname_mismatch, 0x0409, permanent,                                                        \
      "the broker's certificate is not for the host name we dialed",                               \
      "dial the name (or IP address) listed in the certificate's subjectAltName, or reissue the "  \
      "certificate with this name; a mismatch may also mean interception")                         \
    X(pin_mismatch, 0x040a, permanent,                                                             \
      "the broker's public key does not match the pinned SHA-256",                                 \
      "the broker's key changed: update the pin if the change is legitimate; otherwise someone "   \
      "may be intercepting the connection")                                                        \
    X(clock_unset, 0x040b, transient,                                                              \
      "the device clock is not set, so certificate dates cannot be checked",                       \
      "set the wall clock first (e.g. SNTP on an ESP32) and connect again")                        \
    X(handshake_failed, 0x040c, transient, "the TLS handshake failed",                             \
      "detail holds the mbedTLS error code; check that the broker speaks TLS 1.2 or 1.3 with "     \
      "ECDHE and AES-GCM or ChaCha20 on this port")                                                \
    X(peer_alert, 0x040d, by_detail, "the broker sent a fatal TLS alert",                          \
      "detail: the alert number (40 handshake, 42/48 certificate refused); see the broker's log")  \
    X(tls_record_error, 0x040e, transient, "a TLS record could not be decrypted or verified",      \
      "the connection was corrupted or tampered with; reconnect")                                  \
    X(tls_closed, 0x040f, transient, "the TLS connection was closed by the peer (close_notify)",   \
      "reconnect if needed")                                                                       \
    X(session_invalid, 0x0410, transient,                                                          \
      "the stored TLS session is corrupt, truncated or tampered with",                             \
      "it is not offered: this connection does a full handshake and stores a fresh session")       \
    X(session_mismatch, 0x0411, transient,                                                         \
      "the stored TLS session is for another broker name, CA bundle, pin set, device identity or " \
      "TLS version",                                                                               \
      "it is not offered: this connection does a full handshake and stores a fresh session")       \
    X(session_expired, 0x0412, transient,                                                          \
      "the stored TLS session is past its lifetime, or the broker certificate it vouches for "     \
      "has expired",                                                                               \
      "it is not offered: this connection does a full handshake and stores a fresh session")       \
    X(client_certificate_required, 0x0413, permanent,                                              \
      "the broker requires a client certificate, and none was given",                              \
      "pass the device's certificate and key with --cert and --key (e.g. made by 'mqtls pki "      \
      "device'); retrying without one cannot succeed")                                             \
    X(certificate_weak, 0x0414, permanent,                                                         \
      "a certificate in the broker's chain uses a weak key or signature (P-192, RSA below 2048 "   \
      "bits, SHA-1)",                                                                              \
      "reissue the chain with P-256 or stronger keys (RSA: 2048 bits or more) and SHA-256 "        \
      "signatures")                                                                                \
    X(certificate_wrong_usage, 0x0415, permanent,                                                  \
      "the broker's certificate may not be used by a TLS server (its keyUsage or "                 \
      "extendedKeyUsage forbids it)",                                                              \
      "reissue it with keyUsage digitalSignature and extendedKeyUsage serverAuth, as 'mqtls pki "  \
      "server' does")                                                                              \
    X(certificate_unsupported, 0x0416, permanent,                                                  \
      "the broker's certificate chain cannot be processed: malformed, with an unknown critical "   \
      "extension (such as critical name constraints), or longer than 8 intermediates",             \
      "check the chain with 'mqtls verify'; reissue it without that extension or with a "          \
      "shorter chain")                                                                             \
    X(name_constraint_violation, 0x0417, permanent,                                                \
      "a CA in the broker's chain is not allowed to certify the name we dialed (name "             \
      "constraints)",                                                                              \
      "the certificate was issued outside its CA's permitted names; reissue it from a CA allowed " \
      "to, or dial a permitted name; this may also mean interception")                             \
    X(tls_parameters_refused, 0x0418, permanent,                                                   \
      "the broker offered no TLS version or cipher suite mqtls accepts",                           \
      "mqtls needs TLS 1.2 or 1.3 with ECDHE and an AEAD cipher (AES-GCM or ChaCha20-Poly1305); "  \
      "enable them on the broker")                                                                 \
    X(tls_server_unavailable, 0x0419, permanent,                                                   \
      "this build's mbedTLS has no TLS server side (the device configuration is a client only)",   \
      "serve TLS from a host build; a device connects as a client")                                \
    X(tls13_unavailable, 0x041a, permanent,                                                        \
      "this build's mbedTLS has no TLS 1.3 (the lean device profile is a TLS 1.2 client)",         \
      "ask for TLS 1.2 or auto, or build the device with MQTLS_DEVICE_TLS_PROFILE=full")           \
    X(alpn_refused, 0x041b, permanent,                                                             \
      "no ALPN protocol was agreed: the broker refused the ones offered, or chose none when one "  \
      "was required",                                                                              \
      "offer the protocol the broker serves MQTT under with --alpn (AWS IoT Core on port 443: "    \
      "x-amzn-mqtt-ca); detail 120 is the broker's no_application_protocol alert")                 \
    X(alpn_unavailable, 0x041c, permanent,                                                         \
      "this build's mbedTLS has no ALPN (MBEDTLS_SSL_ALPN: the lean device profile has none)",     \
      "connect without --alpn, or build with the full device profile (on ESP-IDF: "                \
      "CONFIG_MBEDTLS_SSL_ALPN)")                                                                  \
    X(file_exists, 0x0501, permanent, "the file already exists and will not be overwritten",       \
      "choose another output path, or remove the old file if you really mean to replace it")       \
    X(file_read_failed, 0x0502, permanent, "the file could not be read",                           \
      "check the path and its permissions; detail holds the errno")                                \
    X(file_write_failed, 0x0503, permanent, "the file could not be written",                       \
      "check the directory exists, is writable and the disk is not full; detail holds the errno")  \
    X(storage_full, 0x0504, permanent, "the storage has no room for the record",                   \
      "free space on the device or file system, or lower the outbox capacity")                     \
    X(outbox_full, 0x0505, permanent,                                                              \
      "the outbox is full and its policy is to refuse new readings",                               \
      "deliver (connect) to make room, or choose --outbox-full drop-oldest / drop-newest")         \
    X(outbox_record_too_large, 0x0506, permanent,                                                  \
      "the reading is larger than an outbox record may be",                                        \
      "raise the outbox's max record size or send smaller readings")                               \
    X(storage_in_use, 0x0507, permanent, "the outbox is in use by another process",                \
      "stop the other program using it, or give this one its own outbox path")                     \
    X(file_permissions_unsafe, 0x0508, permanent,                                                  \
      "the file belongs to another user or is readable or writable by other users",                \
      "chown it to this user and chmod 600 it (and check who else could have read or changed "     \
      "it): mqtls never writes through such a file or trusts what it holds")                       \
    X(file_type_unsafe, 0x050a, permanent,                                                         \
      "the path is a symbolic link, hard link, FIFO, device or other non-regular file",            \
      "mqtls keeps and reads its files only as regular files: a link could redirect its writes "   \
      "to "                                                                                        \
      "another file; remove it (detail -1: a link) and let mqtls create the file")                 \
    X(folder_permissions_unsafe, 0x050b, permanent,                                                \
      "the folder belongs to another user, or other users may write into it (or into its parent)", \
      "chown it to this user and chmod 700 it: whoever can write the folder can swap the files "   \
      "in it; detail holds the mode")                                                              \
    X(file_too_large, 0x050c, permanent, "the file is larger than mqtls accepts for it",           \
      "check that the path names the right file; detail holds the limit in bytes")                 \
    X(file_not_regular, 0x050d, permanent,                                                         \
      "the path is not a regular file (a directory, FIFO, device or socket)",                      \
      "give a regular file: reading a pipe or a device could block or never end; detail holds "    \
      "the file type bits")                                                                        \
    X(sequence_exhausted, 0x050e, permanent,                                                       \
      "the outbox has used every sequence number (2^53 - 1)",                                      \
      "start a new outbox (a new folder): its readings get a new run id and seq from 1")           \
    X(session_key_invalid, 0x0509, permanent,                                                      \
      "the session key file does not hold exactly 32 bytes",                                       \
      "remove it: a new key is made, and the next connection does one full TLS handshake")         \
    X(csr_invalid, 0x0520, permanent,                                                              \
      "the file is not a certificate signing request mqtls can read",                              \
      "pass a PKCS#10 CSR, PEM (-----BEGIN CERTIFICATE REQUEST-----) or DER, e.g. from "           \
      "openssl req -new; detail holds the mbedTLS error code")                                     \
    X(csr_signature_invalid, 0x0521, permanent,                                                    \
      "the CSR's signature does not verify with the key it carries",                               \
      "do not sign it: it was altered or damaged after it was made, or signed with another key; "  \
      "make a new CSR on the device")                                                              \
    X(csr_key_rejected, 0x0522, permanent,                                                         \
      "the CSR's key is of a type or size mqtls does not accept",                                  \
      "make a new key and CSR: ECDSA P-256 (or P-384, P-521), or RSA with at least 2048 bits")     \
    X(csr_common_name_invalid, 0x0523, permanent,                                                  \
      "the CSR's subject common name (CN) is missing, repeated, or not a valid device id",         \
      "the CN becomes the device id (printable ASCII without spaces, '/', '+', '#' or '\\', "      \
      "at most 64 characters, not starting with '-'): make a new CSR, e.g. with -subj "            \
      "/CN=sensor-17")                                                                             \
    X(issuer_expired, 0x0524, permanent,                                                           \
      "the CA's certificate has expired, or expires before the new certificate would begin",       \
      "certificates it signs would not verify: make a new CA (mqtls pki init NEWDIR) and "         \
      "reissue the broker and device certificates from it")                                        \
    X(csr_signature_algorithm_refused, 0x0525, permanent,                                          \
      "the CSR is signed with an algorithm mqtls does not accept",                                 \
      "make the CSR again signed with SHA-256 or stronger, by ECDSA or RSA PKCS#1 v1.5 (not "      \
      "SHA-1, MD5 or RSA-PSS), e.g. openssl req -new -sha256")                                     \
    X(invalid_argument, 0x0601, permanent, "an argument is out of range or inconsistent",          \
      "check the call against its documentation")                                                  \
    X(pem_invalid, 0x0602, permanent, "the PEM data could not be parsed",                          \
      "check that the file is a PEM certificate or key and not truncated; detail holds the "       \
      "mbedTLS error code")                                                                        \
    X(key_generation_failed, 0x0603, permanent, "the key could not be generated",                  \
      "detail holds the mbedTLS error code; check the entropy source")                             \
    X(certificate_generation_failed, 0x0604, permanent, "the certificate could not be written",    \
      "detail holds the mbedTLS error code; check the names and dates given")                      \
    X(invalid_device_id, 0x0605, permanent,                                                        \
      "the device id is empty, too long, or has a character outside "                              \
      "A-Z a-z 0-9 . _ -",                                                                         \
      "device ids become MQTT topic levels and certificate names: use e.g. sensor-17")             \
    X(sensor_read_failed, 0x0701, transient, "the sensor could not be read",                       \
      "detail holds the sensor driver's code; the reading is skipped, the next one is tried")      \
    X(too_many_sensor_values, 0x0702, transient,                                                   \
      "the sensor returned more values than a reading holds",                                      \
      "raise max_sensor_values or read fewer values")

enum class Errc : std::uint16_t {
#define MQTLS_ERRC_ENUM(name, value, retry, message, hint) name = value,
    MQTLS_ERRC_TABLE(MQTLS_ERRC_ENUM)
#undef MQTLS_ERRC_ENUM
};

/// The class of `code`.
constexpr ErrorClass error_class(Errc code) noexcept {
    return static_cast<ErrorClass>(static_cast<std::uint16_t>(code) >> 8);
}

/// The identifier of `code` as written in the source, e.g. "packet_too_large" (for logs).
constexpr const char* name(Errc code) noexcept {
    switch (code) {
#define MQTLS_ERRC_NAME(name, value, retry, message, hint) \
    case Errc::name:                                       \
        return #name;
        MQTLS_ERRC_TABLE(MQTLS_ERRC_NAME)
#undef MQTLS_ERRC_NAME
    }
    return "unknown";
}

// MQTLS_ERROR_TEXT (CMake option of the same name; on by default, off by default in cross
// builds) keeps the messages and hints in the image. Off, they are about 16 KB less flash on
// Cortex-M4 (the way ESP-IDF makes esp_err_to_name's table optional): message() is then the
// code's name and hint() points to `mqtls explain NAME`, which prints both on a host. CMake
// sets it on mqtls::core for every target alike, so all translation units agree.
#if !defined(MQTLS_ERROR_TEXT)
#define MQTLS_ERROR_TEXT 1
#endif

/// A human name or text (a table's names, e.g. MQTT 5's Reason Codes) that only builds with
/// MQTLS_ERROR_TEXT keep; without it "", so a device's image holds the numbers only.
#if MQTLS_ERROR_TEXT
#define MQTLS_TEXT(text) text
#else
#define MQTLS_TEXT(text) ""
#endif

/// The last initializer of a table row whose name field exists only with MQTLS_ERROR_TEXT
/// (declare it under `#if MQTLS_ERROR_TEXT`): without it the row keeps no pointer either, which
/// on a 32-bit target halves a table of small numbers. Written without the comma before it.
#if MQTLS_ERROR_TEXT
#define MQTLS_TEXT_FIELD(text) , text
#else
#define MQTLS_TEXT_FIELD(text)
#endif

/// What went wrong, in one line. Never null. Without MQTLS_ERROR_TEXT: name(code).
constexpr const char* message(Errc code) noexcept {
#if MQTLS_ERROR_TEXT
    switch (code) {
#define MQTLS_ERRC_MESSAGE(name, value, retry, message, hint) \
    case Errc::name:                                          \
        return message;
        MQTLS_ERRC_TABLE(MQTLS_ERRC_MESSAGE)
#undef MQTLS_ERRC_MESSAGE
    }
    return "unknown error";
#else
    return name(code);
#endif
}

/// What to do about it, in one line. Never null.
constexpr const char* hint(Errc code) noexcept {
#if MQTLS_ERROR_TEXT
    switch (code) {
#define MQTLS_ERRC_HINT(name, value, retry, message, hint) \
    case Errc::name:                                       \
        return hint;
        MQTLS_ERRC_TABLE(MQTLS_ERRC_HINT)
#undef MQTLS_ERRC_HINT
    }
    return "";
#else
    (void)code;
    return "this build leaves error texts out (MQTLS_ERROR_TEXT=OFF): run `mqtls explain NAME` "
           "on a host for what went wrong and what to do";
#endif
}

/// Whether retrying can cure `code` (by_detail: see is_permanent()).
constexpr RetryClass retry_class(Errc code) noexcept {
    switch (code) {
#define MQTLS_ERRC_RETRY(name, value, retry, message, hint) \
    case Errc::name:                                        \
        return RetryClass::retry;
        MQTLS_ERRC_TABLE(MQTLS_ERRC_RETRY)
#undef MQTLS_ERRC_RETRY
    }
    return RetryClass::transient;
}

/// An error code plus the number behind it (mbedTLS code, errno, MQTT return code, byte offset;
/// 0 when there is none).
struct Error {
    Errc code{};
    std::int32_t detail = 0;

    constexpr Error() noexcept = default;
    constexpr Error(Errc c, std::int32_t d = 0) noexcept  // NOLINT(google-explicit-constructor)
        : code(c), detail(d) {}

    [[nodiscard]] constexpr const char* message() const noexcept { return mqtls::message(code); }
    [[nodiscard]] constexpr const char* hint() const noexcept { return mqtls::hint(code); }
    constexpr bool operator==(const Error& o) const noexcept {
        return code == o.code && detail == o.detail;
    }
    constexpr bool operator!=(const Error& o) const noexcept { return !(*this == o); }
};

/// CONNACK return code 3, "server unavailable" (MQTT 3.1.1 table 3.1): the broker is up but
/// cannot serve clients now. Codes 1, 2, 4 and 5 (protocol version, client id, credentials, not
/// authorized) stay refused however often we ask.
inline constexpr std::int32_t connack_server_unavailable = 3;

/// Whether a broker's refusal cannot be cured by trying again: an MQTT 3.1.1 CONNACK return code
/// (1..5; 3 "server unavailable" is worth retrying), or an MQTT 5 Reason Code (0x80 and up) that
/// names something a person must change: the client (0x81, 0x82, 0x84, 0x85, 0x95, 0x99), its
/// credentials or rights (0x86, 0x87, 0x8A banned, 0x8C), or its Will (0x90, 0x9A, 0x9B).
/// Busy, unavailable, quota, rate and unspecified errors are transient.
constexpr bool is_permanent_refusal(std::int32_t code) noexcept {
    if (code >= 1 && code <= 5) return code != connack_server_unavailable;
    switch (code) {
        case 0x81:
        case 0x82:
        case 0x84:
        case 0x85:
        case 0x86:
        case 0x87:
        case 0x8A:
        case 0x8C:
        case 0x90:
        case 0x95:
        case 0x99:
        case 0x9A:
        case 0x9B:
            return true;
        default:
            return false;
    }
}

/// Whether `alert` (RFC 5246 7.2.2; RFC 8446 6.2) says the broker refused our client
/// certificate: bad_certificate 42 .. unknown_ca 48 and access_denied 49, but not
/// illegal_parameter 47, which is a malformed handshake message.
constexpr bool is_certificate_refusal_alert(std::int32_t alert) noexcept {
    return alert >= 42 && alert <= 49 && alert != 47;
}

/// Whether retrying cannot cure `error`: its code's retry class, with the detail deciding for
/// broker_refused and broker_disconnected (is_permanent_refusal()) and peer_alert (certificate
/// refusals are permanent, other alerts transient). The one stop-or-retry rule of the device
/// runtime (the CLI's node loop and wake cycles use it too).
constexpr bool is_permanent(const Error& error) noexcept {
    switch (retry_class(error.code)) {
        case RetryClass::transient:
            return false;
        case RetryClass::permanent:
            return true;
        case RetryClass::by_detail:
            break;
    }
    // A refusal without a code is a refusal all the same; a DISCONNECT without one (0, Normal
    // disconnection) is not.
    if (error.code == Errc::broker_refused) {
        return error.detail == 0 || is_permanent_refusal(error.detail);
    }
    if (error.code == Errc::broker_disconnected || error.code == Errc::message_rejected) {
        return is_permanent_refusal(error.detail);
    }
    if (error.code == Errc::peer_alert) return is_certificate_refusal_alert(error.detail);
    return false;
}

}  // namespace mqtls
