// mbedTLS 3.6 has no public way to give its certificate writer an issuer name as DER; the one
// private field pki uses is the writer's issuer list (copy_subject_to_issuer_name). pki is
// host-only, so this does not reach a device build.
#define MBEDTLS_ALLOW_PRIVATE_ACCESS
#include "names.hpp"

#include <cstring>

#include <mbedtls/asn1.h>
#include <mbedtls/platform.h>

namespace mqtls::pki::detail {

namespace {

constexpr unsigned char first_printable = 0x20;
constexpr unsigned char delete_character = 0x7f;

// Appends `value` to `text`, escaping commas; false when it holds a character the syntax cannot
// carry (a backslash, or a NUL, which would end the C string mbedTLS reads).
bool append_escaped(std::string& text, const unsigned char* value, std::size_t size) {
    for (std::size_t i = 0; i < size; ++i) {
        const unsigned char c = value[i];
        if (c == '\\' || c == '\0') {
            return false;
        }
        if (c == ',') {
            text += '\\';
        }
        text += static_cast<char>(c);
    }
    return true;
}

bool is_acceptable_value(const std::string& value) {
    if (value.size() > max_name_attribute_size) {
        return false;
    }
    for (const char ch : value) {
        const auto c = static_cast<unsigned char>(ch);
        if (c < first_printable || c == delete_character || c == '\\') {
            return false;
        }
    }
    return true;
}

// Appends "<short name>=<escaped value>", after a separating comma unless `text` is empty.
bool append_attribute(std::string& text, const char* short_name, const unsigned char* value,
                      std::size_t size) {
    if (!text.empty()) {
        text += ',';
    }
    text += short_name;
    text += '=';
    return append_escaped(text, value, size);
}

bool append_attribute(std::string& text, const char* short_name, const std::string& value) {
    return append_attribute(text, short_name, reinterpret_cast<const unsigned char*>(value.data()),
                            value.size());
}

// Copies tag, length and bytes of `from` into the empty `to`, in memory from mbedtls_calloc.
bool copy_buffer(const mbedtls_asn1_buf& from, mbedtls_asn1_buf& to) {
    // calloc(1, 0) may return NULL; an empty value still needs a distinct, freeable pointer.
    auto* bytes = static_cast<unsigned char*>(mbedtls_calloc(1, from.len == 0 ? 1 : from.len));
    if (bytes == nullptr) {
        return false;
    }
    if (from.len != 0) {
        std::memcpy(bytes, from.p, from.len);
    }
    to.tag = from.tag;
    to.len = from.len;
    to.p = bytes;
    return true;
}

}  // namespace

Result<std::string> name_text_of(const Subject& subject) {
    if (subject.common_name.empty() || !is_acceptable_value(subject.common_name) ||
        !is_acceptable_value(subject.organization)) {
        return Error{Errc::invalid_argument};
    }
    std::string text;
    if (!subject.organization.empty() && !append_attribute(text, "O", subject.organization)) {
        return Error{Errc::invalid_argument};
    }
    if (!append_attribute(text, "CN", subject.common_name)) {
        return Error{Errc::invalid_argument};
    }
    return text;
}

Result<void> copy_subject_to_issuer_name(const mbedtls_x509_crt& issuer,
                                         mbedtls_x509write_cert& writer) {
    // The issuer field must repeat the issuer's subject byte for byte, repeated attributes
    // (DC=test, DC=example) and string types included. mbedTLS's public setter takes text, which
    // keeps one value per attribute type and re-chooses the string types, so the writer's list is
    // filled directly: the one private field pki touches (see the #define above).
    mbedtls_asn1_named_data*& issuer_names = writer.MBEDTLS_PRIVATE(issuer);
    mbedtls_asn1_free_named_data_list(&issuer_names);
    for (const mbedtls_x509_name* attribute = &issuer.subject; attribute != nullptr;
         attribute = attribute->next) {
        // A multi-valued RDN would come out as separate RDNs: a different name.
        if (attribute->oid.p == nullptr || mbedtls_x509_dn_get_next(const_cast<mbedtls_x509_name*>(
                                               attribute)) != attribute->next) {
            return Error{Errc::invalid_argument};
        }
        // The writer emits the list from its tail, so prepending keeps the issuer's order. Nodes
        // and buffers come from mbedtls_calloc because mbedtls_x509write_crt_free releases them.
        auto* node = static_cast<mbedtls_asn1_named_data*>(
            mbedtls_calloc(1, sizeof(mbedtls_asn1_named_data)));
        if (node == nullptr) {
            return Error{Errc::certificate_generation_failed, MBEDTLS_ERR_X509_ALLOC_FAILED};
        }
        node->next = issuer_names;
        issuer_names = node;
        if (!copy_buffer(attribute->oid, node->oid) || !copy_buffer(attribute->val, node->val)) {
            return Error{Errc::certificate_generation_failed, MBEDTLS_ERR_X509_ALLOC_FAILED};
        }
    }
    return ok();
}

}  // namespace mqtls::pki::detail
