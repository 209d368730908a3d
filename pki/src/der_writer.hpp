#pragma once
// A DER writer over mbedTLS's ASN.1 write helpers, for the structures mbedTLS 2.28 has no writer
// for: certificate extensions (extensions.cpp) and certificate revocation lists (crl_writer.cpp).

#include <cstddef>
#include <string_view>
#include <vector>

#include <mbedtls/asn1write.h>

#include "mqtls/core/result.hpp"

namespace mqtls::pki::detail {

inline constexpr unsigned char der_sequence_tag = MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE;
/// Tag and length octets of one element, generously (a length up to 2^32 takes 5 octets).
inline constexpr std::size_t der_header_room = 6;

/// mbedTLS's ASN.1 writer fills a buffer from its end towards its start, so elements are written
/// last first and every length is known when its header is written: write an element's content,
/// then its header(). The first failure (the buffer is too small) is kept and reported by
/// finish(); later calls do nothing useful but are harmless.
class BackwardsDerWriter {
public:
    explicit BackwardsDerWriter(std::size_t capacity)
        : buffer_(capacity), cursor_(buffer_.data() + buffer_.size()) {}

    /// Bytes written so far; an element's content size is the difference of two of these.
    [[nodiscard]] std::size_t written() const noexcept {
        return static_cast<std::size_t>(buffer_.data() + buffer_.size() - cursor_);
    }

    void raw(const unsigned char* data, std::size_t size) {
        record(mbedtls_asn1_write_raw_buffer(&cursor_, buffer_.data(), data, size));
    }

    /// Puts a tag and length in front of the last `content_size` bytes written.
    void header(unsigned char tag, std::size_t content_size) {
        record(mbedtls_asn1_write_len(&cursor_, buffer_.data(), content_size));
        record(mbedtls_asn1_write_tag(&cursor_, buffer_.data(), tag));
    }

    /// Wraps everything written since `mark` (an earlier written()) in `tag`.
    void wrap_since(std::size_t mark, unsigned char tag) { header(tag, written() - mark); }

    void oid(const char* oid, std::size_t size) {
        record(mbedtls_asn1_write_oid(&cursor_, buffer_.data(), oid, size));
    }

    /// A primitive element with `tag` and the bytes of `text` as content (times, strings).
    void text(unsigned char tag, std::string_view text) {
        raw(reinterpret_cast<const unsigned char*>(text.data()), text.size());
        header(tag, text.size());
    }

    /// An INTEGER whose content octets are `octets`, as given (the caller keeps them minimal
    /// and positive).
    void integer_octets(const std::vector<unsigned char>& octets) {
        raw(octets.data(), octets.size());
        header(MBEDTLS_ASN1_INTEGER, octets.size());
    }

    /// An INTEGER 0..2^31-1 (mbedTLS writes it minimal).
    void small_integer(int value) {
        record(mbedtls_asn1_write_int(&cursor_, buffer_.data(), value));
    }

    /// An ENUMERATED 0..2^31-1.
    void enumerated(int value) { record(mbedtls_asn1_write_enum(&cursor_, buffer_.data(), value)); }

    void null() { record(mbedtls_asn1_write_null(&cursor_, buffer_.data())); }

    /// A BIT STRING of whole octets (no unused bits), as signatures are.
    void bit_string(const unsigned char* data, std::size_t size) {
        record(mbedtls_asn1_write_bitstring(&cursor_, buffer_.data(), data, size * 8));
    }

    /// The DER written, or the first error of the writer as `failure` (detail: the mbedTLS
    /// code).
    Result<std::vector<unsigned char>> finish(Errc failure) const {
        if (first_error_ != 0) {
            return Error{failure, first_error_};
        }
        const unsigned char* const begin = cursor_;
        return std::vector<unsigned char>(begin, buffer_.data() + buffer_.size());
    }

private:
    void record(int ret) noexcept {
        if (ret < 0 && first_error_ == 0) {
            first_error_ = ret;
        }
    }

    std::vector<unsigned char> buffer_;
    unsigned char* cursor_;
    int first_error_ = 0;
};

}  // namespace mqtls::pki::detail
