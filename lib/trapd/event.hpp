#pragma once
// A small append-only JSON writer for dce-trapd's hot path: an event is written straight
// into a reused string, without building a JSON tree first (nlohmann's tree and dump
// cost more than the whole decode at 100,000 traps/s). Keys are trusted literals;
// every string value is escaped.

#include "trap/catalogue.hpp"
#include "trap/message.hpp"

#include <cstdint>
#include <string>
#include <string_view>

namespace dce::trapd {

class JsonOut {
  public:
    explicit JsonOut(std::string& s) : s_(s) {}
    void open() {
        s_ += '{';
        first_ = true;
    }
    void close() {
        s_ += '}';
        first_ = false;
    }
    void open_array() {
        s_ += '[';
        first_ = true;
    }
    void close_array() {
        s_ += ']';
        first_ = false;
    }
    /// Starts a member: `"key":` (with a comma when needed).
    JsonOut& key(std::string_view k) {
        comma();
        s_ += '"';
        s_ += k;
        s_ += "\":";
        first_ = true;  // the value that follows needs no comma
        return *this;
    }
    void element() {
        comma();
        first_ = true;
    }  ///< before an array element
    void str(std::string_view v);
    void num(std::int64_t v);
    void unum(std::uint64_t v);
    void dbl(double v);
    void boolean(bool v) {
        s_ += v ? "true" : "false";
        first_ = false;
    }
    void null() {
        s_ += "null";
        first_ = false;
    }
    void raw(std::string_view v) {
        s_ += v;
        first_ = false;
    }

  private:
    void comma() {
        if (!first_) s_ += ',';
        first_ = false;
    }
    std::string& s_;
    bool first_ = true;
};

/// Appends a varbind object {oid, name?, type, value} to `out`.
void write_varbind(JsonOut& out, const trap::VarBind& vb, const trap::Catalogue& catalogue);
/// The value as text, for a catalogue summary's placeholders.
std::string value_text(const trap::Value& v);

}  // namespace dce::trapd
