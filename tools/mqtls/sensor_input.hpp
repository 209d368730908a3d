#pragma once
// Readings from outside `mqtls node`:
//
// --sensor-command CMD: CMD runs through /bin/sh -c once per reading, at each --interval, and
// prints the reading (one JSON object) on its standard output. Once per reading rather than
// as a long-running producer: every reading is then bounded on its own (a command that hangs
// is killed after --sensor-timeout and costs one reading, not the node), a crashed script
// recovers by itself at the next interval, and the one-shot tools a gateway already has
// (cat /sys/..., a Modbus or I2C query, curl) work as they are. A producer that streams
// readings is what --sensor-stdin is for.
//
// --sensor-stdin: one JSON object per line on standard input, each taken as it arrives
// (producer | mqtls node --sensor-stdin): the producer sets the pace, no line is skipped or
// sampled, and a full outbox or a slow broker pushes back through the pipe. At the end of the
// input the node delivers what is pending and exits.

#include <chrono>
#include <string>
#include <vector>

#include "external_reading.hpp"

namespace mqtls::cli {

/// Runs `command` with /bin/sh -c: standard input /dev/null, standard error the node's, the
/// environment the node's plus MQTLS_DEVICE=<device_id>, in its own process group. Its
/// standard output (at most max_external_input_bytes) is the reading, checked by
/// parse_external_reading(). A command that has not finished within `timeout`, prints too
/// much, exits with a status other than 0 or is killed by a signal gives no reading, and the
/// problem says which. When it is done, whatever it left running in its process group is
/// killed. A stop signal to the node (stop_signal.hpp) ends the wait early.
ExternalReading run_sensor_command(const std::string& command, const std::string& device_id,
                                   std::chrono::milliseconds timeout);

/// Lines of standard input as they arrive, without ever blocking for longer than asked (poll,
/// then one read; the descriptor is left in blocking mode, as the shell that shares it
/// expects).
class LineInput {
public:
    struct Line {
        std::string text;
        bool too_long = false;  ///< longer than max_external_input_bytes: `text` is empty
        long number = 0;        ///< 1 for the first line of the input, blank ones counted
    };

    explicit LineInput(int fd) : fd_(fd) {}

    /// Waits up to `timeout` for input and returns the complete lines that came (none when
    /// nothing did). Blank lines are skipped (but counted). At the end of the input a last
    /// line without a newline counts too, and at_end() becomes true.
    std::vector<Line> read(std::chrono::milliseconds timeout);
    [[nodiscard]] bool at_end() const noexcept { return at_end_; }
    /// Lines so far, blank ones included.
    [[nodiscard]] long lines() const noexcept { return lines_; }

private:
    void add_line(std::string text, std::vector<Line>& lines);

    int fd_;
    std::string partial_;
    bool discarding_ = false;  // inside a line that is already too long
    bool at_end_ = false;
    long lines_ = 0;
};

}  // namespace mqtls::cli
