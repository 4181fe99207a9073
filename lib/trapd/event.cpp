#include "trapd/event.hpp"

#include "core/jsonl.hpp"

#include <charconv>
#include <cstdio>

namespace dce::trapd {

void JsonOut::str(std::string_view v) {
    static constexpr char hex[] = "0123456789abcdef";
    s_ += '"';
    std::size_t run = 0;  // bytes copied in one go
    for (std::size_t i = 0; i < v.size(); ++i) {
        unsigned char c = static_cast<unsigned char>(v[i]);
        if (c >= 0x20 && c != '"' && c != '\\') continue;
        s_.append(v.data() + run, i - run);
        run = i + 1;
        switch (c) {
            case '"':
                s_ += "\\\"";
                break;
            case '\\':
                s_ += "\\\\";
                break;
            case '\n':
                s_ += "\\n";
                break;
            case '\r':
                s_ += "\\r";
                break;
            case '\t':
                s_ += "\\t";
                break;
            default:
                s_ += "\\u00";
                s_ += hex[c >> 4];
                s_ += hex[c & 15];
        }
    }
    s_.append(v.data() + run, v.size() - run);
    s_ += '"';
    first_ = false;
}

void JsonOut::num(std::int64_t v) {
    char buf[24];
    auto r = std::to_chars(buf, buf + sizeof buf, v);
    s_.append(buf, r.ptr);
    first_ = false;
}

void JsonOut::unum(std::uint64_t v) {
    char buf[24];
    auto r = std::to_chars(buf, buf + sizeof buf, v);
    s_.append(buf, r.ptr);
    first_ = false;
}

void JsonOut::dbl(double v) {
    char buf[32];
    auto r = std::to_chars(buf, buf + sizeof buf, v);
    s_.append(buf, r.ptr);
    first_ = false;
}

namespace {

std::string ip_text(const std::string& b) {
    if (b.size() != 4) return to_hex(b);
    char buf[16];
    std::snprintf(buf, sizeof buf, "%u.%u.%u.%u", static_cast<unsigned char>(b[0]),
                  static_cast<unsigned char>(b[1]), static_cast<unsigned char>(b[2]),
                  static_cast<unsigned char>(b[3]));
    return buf;
}

}  // namespace

std::string value_text(const trap::Value& v) {
    using T = trap::ValueType;
    switch (v.type) {
        case T::integer:
            return std::to_string(v.i);
        case T::counter32:
        case T::gauge32:
        case T::timeticks:
        case T::counter64:
            return std::to_string(v.u);
        case T::octet_string:
            return octets_to_display(v.bytes);
        case T::opaque:
            return to_hex(v.bytes);
        case T::ip_address:
            return ip_text(v.bytes);
        case T::object_id:
            return trap::oid_to_string(v.oid);
        default:
            return {};
    }
}

void write_varbind(JsonOut& out, const trap::VarBind& vb, const trap::Catalogue& catalogue) {
    using T = trap::ValueType;
    out.element();
    out.open();
    out.key("oid").str(trap::oid_to_string(vb.oid));
    if (std::string name = catalogue.object_name(vb.oid); !name.empty()) out.key("name").str(name);
    out.key("type").str(trap::type_name(vb.value.type));
    out.key("value");
    switch (vb.value.type) {
        case T::integer:
            out.num(vb.value.i);
            break;
        case T::counter32:
        case T::gauge32:
        case T::timeticks:
        case T::counter64:
            out.unum(vb.value.u);
            break;
        case T::octet_string:
        case T::opaque:
        case T::ip_address:
        case T::object_id:
            out.str(value_text(vb.value));
            break;
        default:
            out.null();
            break;
    }
    if (vb.value.type == T::object_id) {
        if (std::string name = catalogue.object_name(vb.value.oid); !name.empty())
            out.key("value_name").str(name);
        else if (const auto* t = catalogue.find(vb.value.oid))
            out.key("value_name").str(t->name);
    }
    out.close();
}

}  // namespace dce::trapd
