// Fuzzes the JSON-lines record reader: any bytes on stdin must give records or
// per-line errors, never a crash, a hang or unbounded memory.
#include "core/jsonl.hpp"

#include <unistd.h>

#include <cstdint>
#include <cstdio>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    int fds[2];
    if (pipe(fds) != 0) return 0;
    // Small max_line so the over-long path is exercised with small inputs.
    FILE* w = fdopen(fds[1], "w");
    if (size > 60000) size = 60000;  // stays within the pipe buffer
    fwrite(data, 1, size, w);
    fclose(w);
    dce::RecordReader reader(fds[0], {.max_line = 256, .check_contract = true});
    dce::RecordLine line;
    std::uint64_t n = 0;
    while (reader.next(line)) {
        if (line.ok && !line.value.is_object()) __builtin_trap();
        ++n;
    }
    if (reader.accepted() + reader.rejected() != n) __builtin_trap();
    close(fds[0]);
    return 0;
}
