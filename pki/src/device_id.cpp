#include "mqtls/pki/device_id.hpp"

namespace mqtls::pki {

std::string device_id_problem(std::string_view id) {
    if (id.empty()) {
        return "must not be empty";
    }
    if (id.size() > max_device_id_length) {
        return "must be at most 64 characters";
    }
    if (id == "." || id == "..") {
        return "must not be '.' or '..'";
    }
    // A leading '-' would make the file name look like an option to other tools.
    if (id.front() == '-') {
        return "must not start with '-'";
    }
    for (const char character : id) {
        const auto byte = static_cast<unsigned char>(character);
        // Printable ASCII without space: the id ends up in file names, topics and config files.
        if (byte <= 0x20 || byte >= 0x7f) {
            return "must be printable ASCII without spaces";
        }
        // '/' would leave the directory and split the topic level; '+' and '#' are MQTT
        // wildcards (MQTT-4.7.1); a backslash cannot be written into a certificate name by
        // mbedTLS 2.28.
        if (character == '/' || character == '+' || character == '#' || character == '\\') {
            return "must not contain '/', '+', '#' or '\\'";
        }
    }
    return {};
}

}  // namespace mqtls::pki
