// BER for SNMP messages, by hand. The decoder walks the datagram once with a cursor and
// bounds every read by the enclosing TLV's end, so no read can pass the buffer; it
// allocates only for the strings and OIDs it hands back. Failures build their message
// only then, so the path a good trap takes has no formatting, no exceptions and no
// per-field allocation beyond the varbinds themselves.
#include "trap/message.hpp"

#include <charconv>

namespace dce::trap {

// ---------------------------------------------------------------------------------------
// OIDs and type names

std::string_view type_name(ValueType t) {
    switch (t) {
        case ValueType::integer:
            return "Integer32";
        case ValueType::octet_string:
            return "OCTET STRING";
        case ValueType::null:
            return "NULL";
        case ValueType::object_id:
            return "OBJECT IDENTIFIER";
        case ValueType::ip_address:
            return "IpAddress";
        case ValueType::counter32:
            return "Counter32";
        case ValueType::gauge32:
            return "Gauge32";
        case ValueType::timeticks:
            return "TimeTicks";
        case ValueType::opaque:
            return "Opaque";
        case ValueType::counter64:
            return "Counter64";
        case ValueType::no_such_object:
            return "noSuchObject";
        case ValueType::no_such_instance:
            return "noSuchInstance";
        case ValueType::end_of_mib_view:
            return "endOfMibView";
    }
    return "unknown";
}

namespace {

constexpr std::uint8_t tag_integer = 0x02, tag_octets = 0x04, tag_null = 0x05, tag_oid = 0x06,
                       tag_sequence = 0x30, tag_ipaddr = 0x40, tag_counter32 = 0x41,
                       tag_gauge32 = 0x42, tag_timeticks = 0x43, tag_opaque = 0x44,
                       tag_counter64 = 0x46, tag_no_such_object = 0x80, tag_no_such_instance = 0x81,
                       tag_end_of_mib_view = 0x82;
constexpr std::size_t max_oid_arcs = 128;

// ---------------------------------------------------------------------------------------
// Decoder

// The SNMP grammar is a fixed tree (message, header, PDU, varbind list, varbind, value)
// and no value type may be constructed, so the decoder never recurses and its nesting is
// bounded by the grammar itself: at most 6 levels of SEQUENCE in a v3 message.
class Decoder {
  public:
    // `origin` is what offsets in errors are counted from: the packet's first byte, or
    // the plaintext's for a decrypted scoped PDU.
    Decoder(std::span<const std::uint8_t> bytes, std::string& error)
        : d_(bytes.data()), size_(bytes.size()), error_(error) {}

    std::size_t size() const { return size_; }

    bool fail(std::string_view what, std::size_t at) {
        error_.assign(what);
        error_ += " at byte ";
        error_ += std::to_string(at);
        return false;
    }

    // Reads the tag and length at `pos` (below `end`); on success `pos` is the first
    // content byte and `len` the content's length, which lies wholly below `end`.
    bool header(std::size_t& pos, std::size_t end, std::uint8_t& tag, std::size_t& len,
                std::string_view what) {
        std::size_t start = pos;
        if (pos >= end) return fail(missing(what), pos);
        tag = d_[pos++];
        if ((tag & 0x1F) == 0x1F) return fail("multi-byte tag", start);
        if (pos >= end) return fail(truncated_length(what), pos);
        std::uint8_t first = d_[pos++];
        if (first < 0x80) {
            len = first;
        } else if (first == 0x80) {
            return fail("indefinite length", pos - 1);
        } else {
            std::size_t n = first & 0x7F;
            if (n > 4) return fail("length of more than 4 bytes", pos - 1);
            if (end - pos < n) return fail(truncated_length(what), pos);
            len = 0;
            for (std::size_t i = 0; i < n; ++i)
                len = (len << 8) | d_[pos++];
        }
        if (len > end - pos) return fail(std::string(what) + " longer than the data", start);
        return true;
    }

    bool expect(std::size_t& pos, std::size_t end, std::uint8_t want, std::size_t& len,
                std::string_view what) {
        std::size_t start = pos;
        std::uint8_t tag = 0;
        if (!header(pos, end, tag, len, what)) return false;
        if (tag != want) return fail(unexpected_tag(what, tag), start);
        return true;
    }

    // Two's complement of at most 8 significant bytes (after redundant sign bytes).
    bool signed_value(std::size_t pos, std::size_t len, std::size_t max_bytes, std::int64_t& out,
                      std::string_view what) {
        if (len == 0) return fail(std::string(what) + " with no bytes", pos);
        std::size_t start = pos;
        while (len > 1 && ((d_[pos] == 0x00 && !(d_[pos + 1] & 0x80)) ||
                           (d_[pos] == 0xFF && (d_[pos + 1] & 0x80)))) {
            ++pos;
            --len;
        }
        if (len > max_bytes) return fail(std::string(what) + " out of range", start);
        std::uint64_t v = (d_[pos] & 0x80) ? ~std::uint64_t{0} : 0;
        for (std::size_t i = 0; i < len; ++i)
            v = (v << 8) | d_[pos + i];
        out = static_cast<std::int64_t>(v);
        return true;
    }

    // Unsigned: a set top bit is a negative number; leading 0x00 bytes are accepted.
    bool unsigned_value(std::size_t pos, std::size_t len, std::size_t max_bytes, std::uint64_t& out,
                        std::string_view what) {
        if (len == 0) return fail(std::string(what) + " with no bytes", pos);
        std::size_t start = pos;
        if (d_[pos] & 0x80) return fail(std::string("negative ") + std::string(what), start);
        while (len > 1 && d_[pos] == 0x00) {
            ++pos;
            --len;
        }
        if (len > max_bytes) return fail(std::string(what) + " out of range", start);
        std::uint64_t v = 0;
        for (std::size_t i = 0; i < len; ++i)
            v = (v << 8) | d_[pos + i];
        out = v;
        return true;
    }

    bool int32_field(std::size_t& pos, std::size_t end, std::int32_t& out, std::string_view what) {
        std::size_t len = 0;
        if (!expect(pos, end, tag_integer, len, what)) return false;
        std::int64_t v = 0;
        if (!signed_value(pos, len, 4, v, what)) return false;
        out = static_cast<std::int32_t>(v);
        pos += len;
        return true;
    }

    bool nonnegative_field(std::size_t& pos, std::size_t end, std::uint32_t& out,
                           std::string_view what) {
        std::size_t start = pos;
        std::int32_t v = 0;
        if (!int32_field(pos, end, v, what)) return false;
        if (v < 0) return fail(std::string("negative ") + std::string(what), start);
        out = static_cast<std::uint32_t>(v);
        return true;
    }

    bool octets_field(std::size_t& pos, std::size_t end, std::string& out, std::string_view what,
                      std::size_t* value_offset = nullptr) {
        std::size_t len = 0;
        if (!expect(pos, end, tag_octets, len, what)) return false;
        out.assign(reinterpret_cast<const char*>(d_ + pos), len);
        if (value_offset) *value_offset = pos;
        pos += len;
        return true;
    }

    bool oid_value(std::size_t pos, std::size_t len, Oid& out, std::string_view what) {
        out.clear();
        if (len == 0) return fail(std::string("empty ") + std::string(what), pos);
        out.reserve(len + 1);
        std::size_t end = pos + len;
        bool first = true;
        while (pos < end) {
            std::size_t start = pos;
            if (d_[pos] == 0x80) return fail(std::string(what) + " arc with a leading 0x80", pos);
            std::uint64_t v = 0;
            while (true) {
                if (pos >= end) return fail(std::string("truncated ") + std::string(what), start);
                std::uint8_t b = d_[pos++];
                v = (v << 7) | (b & 0x7F);
                // The first sub-identifier carries two arcs (X*40+Y), so it may exceed
                // 2^32-1 by up to 80; anything past 2^33 can be refused at once.
                if (v > 0x1FFFFFFFFull) return fail(std::string(what) + " arc overflow", start);
                if (!(b & 0x80)) break;
            }
            if (first) {
                first = false;
                std::uint64_t x = v < 40 ? 0 : v < 80 ? 1 : 2;
                std::uint64_t y = v - x * 40;
                if (y > 0xFFFFFFFFull) return fail(std::string(what) + " arc overflow", start);
                out.push_back(static_cast<std::uint32_t>(x));
                out.push_back(static_cast<std::uint32_t>(y));
            } else {
                if (v > 0xFFFFFFFFull) return fail(std::string(what) + " arc overflow", start);
                if (out.size() >= max_oid_arcs)
                    return fail(std::string(what) + " with more than 128 arcs", start);
                out.push_back(static_cast<std::uint32_t>(v));
            }
        }
        return true;
    }

    bool oid_field(std::size_t& pos, std::size_t end, Oid& out, std::string_view what) {
        std::size_t len = 0;
        if (!expect(pos, end, tag_oid, len, what)) return false;
        if (!oid_value(pos, len, out, what)) return false;
        pos += len;
        return true;
    }

    bool value(std::size_t& pos, std::size_t end, Value& v) {
        std::size_t start = pos;
        std::uint8_t tag = 0;
        std::size_t len = 0;
        if (!header(pos, end, tag, len, "value")) return false;
        v.i = 0;
        v.u = 0;
        v.bytes.clear();
        v.oid.clear();
        switch (tag) {
            case tag_integer: {
                v.type = ValueType::integer;
                if (!signed_value(pos, len, 4, v.i, "Integer32")) return false;
                break;
            }
            case tag_octets:
            case tag_opaque:
                v.type = tag == tag_octets ? ValueType::octet_string : ValueType::opaque;
                v.bytes.assign(reinterpret_cast<const char*>(d_ + pos), len);
                break;
            case tag_null:
            case tag_no_such_object:
            case tag_no_such_instance:
            case tag_end_of_mib_view:
                v.type = tag == tag_null               ? ValueType::null
                         : tag == tag_no_such_object   ? ValueType::no_such_object
                         : tag == tag_no_such_instance ? ValueType::no_such_instance
                                                       : ValueType::end_of_mib_view;
                if (len != 0) return fail("NULL value with content", start);
                break;
            case tag_oid:
                v.type = ValueType::object_id;
                if (!oid_value(pos, len, v.oid, "OBJECT IDENTIFIER")) return false;
                break;
            case tag_ipaddr:
                v.type = ValueType::ip_address;
                if (len != 4) return fail("IpAddress not 4 bytes long", start);
                v.bytes.assign(reinterpret_cast<const char*>(d_ + pos), len);
                break;
            case tag_counter32:
            case tag_gauge32:
            case tag_timeticks:
                v.type = tag == tag_counter32 ? ValueType::counter32
                         : tag == tag_gauge32 ? ValueType::gauge32
                                              : ValueType::timeticks;
                if (!unsigned_value(pos, len, 4, v.u, type_name(v.type))) return false;
                break;
            case tag_counter64:
                v.type = ValueType::counter64;
                if (!unsigned_value(pos, len, 8, v.u, "Counter64")) return false;
                break;
            default:
                return fail(unexpected_tag("value", tag), start);
        }
        pos += len;
        return true;
    }

    bool pdu(std::size_t& pos, std::size_t end, Pdu& p) {
        std::size_t start = pos;
        std::uint8_t tag = 0;
        std::size_t len = 0;
        if (!header(pos, end, tag, len, "PDU")) return false;
        if (tag < 0xA0 || tag > 0xA8) return fail(unexpected_tag("PDU", tag), start);
        p.type = static_cast<PduType>(tag);
        std::size_t pend = pos + len;
        p.enterprise.clear();
        p.agent_addr.clear();
        p.request_id = p.error_status = p.error_index = 0;
        p.generic_trap = p.specific_trap = 0;
        p.time_stamp = 0;
        if (p.type == PduType::trap_v1) {
            if (!oid_field(pos, pend, p.enterprise, "enterprise")) return false;
            std::size_t alen = 0, astart = pos;
            if (!expect(pos, pend, tag_ipaddr, alen, "agent-addr")) return false;
            if (alen != 4) return fail("agent-addr not 4 bytes long", astart);
            p.agent_addr.assign(reinterpret_cast<const char*>(d_ + pos), 4);
            pos += 4;
            if (!int32_field(pos, pend, p.generic_trap, "generic-trap")) return false;
            if (!int32_field(pos, pend, p.specific_trap, "specific-trap")) return false;
            std::size_t tlen = 0;
            if (!expect(pos, pend, tag_timeticks, tlen, "time-stamp")) return false;
            std::uint64_t ts = 0;
            if (!unsigned_value(pos, tlen, 4, ts, "time-stamp")) return false;
            p.time_stamp = static_cast<std::uint32_t>(ts);
            pos += tlen;
        } else {
            if (!int32_field(pos, pend, p.request_id, "request-id")) return false;
            if (!int32_field(pos, pend, p.error_status, "error-status")) return false;
            if (!int32_field(pos, pend, p.error_index, "error-index")) return false;
        }
        std::size_t vlen = 0;
        if (!expect(pos, pend, tag_sequence, vlen, "varbind list")) return false;
        std::size_t vend = pos + vlen;
        // A varbind takes at least ~12 bytes on the wire (OID, NULL, two headers); the
        // guess keeps reallocation off the common path without trusting a huge length.
        p.varbinds.reserve(std::min<std::size_t>(vlen / 12 + 1, 64));
        // A receiver decodes into the same Message again and again: the varbinds already
        // there are overwritten in place, so their OIDs and strings keep their buffers.
        std::size_t count = 0;
        while (pos < vend) {
            std::size_t blen = 0;
            if (!expect(pos, vend, tag_sequence, blen, "varbind")) return false;
            std::size_t bend = pos + blen;
            if (count == p.varbinds.size()) p.varbinds.emplace_back();
            auto& vb = p.varbinds[count++];
            if (!oid_field(pos, bend, vb.oid, "varbind name")) return false;
            if (!value(pos, bend, vb.value)) return false;
            if (pos != bend) return fail("extra bytes in varbind", pos);
        }
        p.varbinds.resize(count);
        if (pos != pend) return fail("extra bytes in PDU", pos);
        return true;
    }

    bool scoped_pdu(std::size_t& pos, std::size_t end, Message& m) {
        std::size_t len = 0;
        if (!expect(pos, end, tag_sequence, len, "ScopedPDU")) return false;
        std::size_t send = pos + len;
        if (!octets_field(pos, send, m.context_engine_id, "contextEngineID")) return false;
        if (!octets_field(pos, send, m.context_name, "contextName")) return false;
        if (!pdu(pos, send, m.pdu)) return false;
        if (pos != send) return fail("extra bytes in ScopedPDU", pos);
        m.has_pdu = true;
        return true;
    }

    bool usm(std::size_t pos, std::size_t end, Usm& u) {
        std::size_t len = 0;
        if (!expect(pos, end, tag_sequence, len, "UsmSecurityParameters")) return false;
        std::size_t uend = pos + len;
        if (!octets_field(pos, uend, u.engine_id, "msgAuthoritativeEngineID")) return false;
        if (!nonnegative_field(pos, uend, u.boots, "msgAuthoritativeEngineBoots")) return false;
        if (!nonnegative_field(pos, uend, u.time, "msgAuthoritativeEngineTime")) return false;
        std::size_t at = pos;
        if (!octets_field(pos, uend, u.user, "msgUserName")) return false;
        if (u.user.size() > 32) return fail("msgUserName longer than 32 bytes", at);
        if (!octets_field(pos, uend, u.auth_params, "msgAuthenticationParameters",
                          &u.auth_params_offset))
            return false;
        if (!octets_field(pos, uend, u.priv_params, "msgPrivacyParameters")) return false;
        if (pos != uend) return fail("extra bytes in UsmSecurityParameters", pos);
        if (uend != end) return fail("extra bytes in msgSecurityParameters", uend);
        return true;
    }

    bool message(Message& m) {
        std::size_t pos = 0, len = 0;
        if (!expect(pos, size_, tag_sequence, len, "message")) return false;
        std::size_t end = pos + len;
        if (end != size_) return fail("trailing bytes after the message", end);
        std::size_t at = pos;
        std::int32_t version = 0;
        if (!int32_field(pos, end, version, "version")) return false;
        if (version == 0 || version == 1) {
            m.version = static_cast<Version>(version);
            if (!octets_field(pos, end, m.community, "community")) return false;
            if (!pdu(pos, end, m.pdu)) return false;
            m.has_pdu = true;
        } else if (version == 3) {
            m.version = Version::v3;
            std::size_t glen = 0;
            if (!expect(pos, end, tag_sequence, glen, "msgGlobalData")) return false;
            std::size_t gend = pos + glen;
            at = pos;
            if (!int32_field(pos, gend, m.msg_id, "msgID")) return false;
            if (m.msg_id < 0) return fail("negative msgID", at);
            at = pos;
            if (!int32_field(pos, gend, m.max_size, "msgMaxSize")) return false;
            if (m.max_size < 484) return fail("msgMaxSize below 484", at);
            std::string flags;
            at = pos;
            if (!octets_field(pos, gend, flags, "msgFlags")) return false;
            if (flags.size() != 1) return fail("msgFlags not 1 byte long", at);
            m.flags = static_cast<std::uint8_t>(flags[0]);
            // RFC 3412 7.2 (5): privacy without authentication is not a valid level.
            if ((m.flags & flag_priv) && !(m.flags & flag_auth))
                return fail("msgFlags priv without auth", at);
            at = pos;
            if (!int32_field(pos, gend, m.security_model, "msgSecurityModel")) return false;
            if (pos != gend) return fail("extra bytes in msgGlobalData", pos);
            if (m.security_model != 3)
                return fail("unsupported msgSecurityModel " + std::to_string(m.security_model), at);
            std::size_t slen = 0;
            if (!expect(pos, end, tag_octets, slen, "msgSecurityParameters")) return false;
            if (!usm(pos, pos + slen, m.usm)) return false;
            pos += slen;
            if (m.flags & flag_priv) {
                if (!octets_field(pos, end, m.encrypted, "encryptedPDU")) return false;
                m.has_pdu = false;
            } else {
                if (!scoped_pdu(pos, end, m)) return false;
            }
        } else {
            return fail("unsupported SNMP version " + std::to_string(version), at);
        }
        if (pos != end) return fail("extra bytes in message", pos);
        return true;
    }

  private:
    static std::string missing(std::string_view what) { return "missing " + std::string(what); }
    static std::string truncated_length(std::string_view what) {
        return "truncated length of " + std::string(what);
    }
    static std::string unexpected_tag(std::string_view what, std::uint8_t tag) {
        static const char hex[] = "0123456789abcdef";
        std::string s = "unexpected tag 0x";
        s += hex[tag >> 4];
        s += hex[tag & 15];
        s += " for ";
        s += what;
        return s;
    }

    const std::uint8_t* d_;
    std::size_t size_;
    std::string& error_;
};

// ---------------------------------------------------------------------------------------
// Encoder: builds each TLV's content first and prefixes its header; the messages it
// writes (inform responses, reports, test traffic) are few and small.

void put_length(std::string& out, std::size_t len) {
    if (len < 0x80) {
        out += static_cast<char>(len);
        return;
    }
    char buf[4];
    int n = 0;
    while (len) {
        buf[n++] = static_cast<char>(len & 0xFF);
        len >>= 8;
    }
    out += static_cast<char>(0x80 | n);
    while (n)
        out += buf[--n];
}

std::string tlv(std::uint8_t tag, std::string_view content) {
    std::string out;
    out.reserve(content.size() + 6);
    out += static_cast<char>(tag);
    put_length(out, content.size());
    out.append(content);
    return out;
}

std::size_t header_size(std::size_t content_len) {
    std::string h;
    put_length(h, content_len);
    return 1 + h.size();
}

std::string enc_signed(std::uint8_t tag, std::int64_t v) {
    char buf[8];
    int n = 0;
    // Minimal two's complement: drop leading bytes that only repeat the sign.
    for (int i = 7; i >= 0; --i)
        buf[7 - i] = static_cast<char>((v >> (8 * i)) & 0xFF);
    while (n < 7 && ((buf[n] == 0 && !(buf[n + 1] & 0x80)) ||
                     (buf[n] == static_cast<char>(0xFF) && (buf[n + 1] & 0x80))))
        ++n;
    return tlv(tag, std::string_view(buf + n, 8 - n));
}

std::string enc_unsigned(std::uint8_t tag, std::uint64_t v) {
    char buf[9];
    buf[0] = 0;
    for (int i = 0; i < 8; ++i)
        buf[1 + i] = static_cast<char>((v >> (8 * (7 - i))) & 0xFF);
    int n = 0;
    while (n < 8 && buf[n] == 0 && !(buf[n + 1] & 0x80))
        ++n;
    return tlv(tag, std::string_view(buf + n, 9 - n));
}

void put_subid(std::string& out, std::uint64_t v) {
    char buf[10];
    int n = 0;
    do {
        buf[n++] = static_cast<char>(v & 0x7F);
        v >>= 7;
    } while (v);
    while (n > 1)
        out += static_cast<char>(buf[--n] | 0x80);
    out += buf[0];
}

std::string enc_oid(const Oid& oid) {
    std::string c;
    c.reserve(oid.size() + 4);
    std::uint64_t first = oid.empty() ? 0 : std::uint64_t{oid[0]} * 40;
    if (oid.size() > 1) first += oid[1];
    put_subid(c, first);
    for (std::size_t i = 2; i < oid.size(); ++i)
        put_subid(c, oid[i]);
    return tlv(tag_oid, c);
}

std::string enc_value(const Value& v) {
    switch (v.type) {
        case ValueType::integer:
            return enc_signed(tag_integer, v.i);
        case ValueType::octet_string:
            return tlv(tag_octets, v.bytes);
        case ValueType::null:
            return tlv(tag_null, {});
        case ValueType::object_id:
            return enc_oid(v.oid);
        case ValueType::ip_address:
            return tlv(tag_ipaddr, v.bytes);
        case ValueType::counter32:
            return enc_unsigned(tag_counter32, v.u);
        case ValueType::gauge32:
            return enc_unsigned(tag_gauge32, v.u);
        case ValueType::timeticks:
            return enc_unsigned(tag_timeticks, v.u);
        case ValueType::opaque:
            return tlv(tag_opaque, v.bytes);
        case ValueType::counter64:
            return enc_unsigned(tag_counter64, v.u);
        case ValueType::no_such_object:
            return tlv(tag_no_such_object, {});
        case ValueType::no_such_instance:
            return tlv(tag_no_such_instance, {});
        case ValueType::end_of_mib_view:
            return tlv(tag_end_of_mib_view, {});
    }
    return tlv(tag_null, {});
}

std::string enc_pdu(const Pdu& p) {
    std::string c;
    if (p.type == PduType::trap_v1) {
        c += enc_oid(p.enterprise);
        c += tlv(tag_ipaddr, p.agent_addr);
        c += enc_signed(tag_integer, p.generic_trap);
        c += enc_signed(tag_integer, p.specific_trap);
        c += enc_unsigned(tag_timeticks, p.time_stamp);
    } else {
        c += enc_signed(tag_integer, p.request_id);
        c += enc_signed(tag_integer, p.error_status);
        c += enc_signed(tag_integer, p.error_index);
    }
    std::string list;
    for (const auto& vb : p.varbinds)
        list += tlv(tag_sequence, enc_oid(vb.oid) + enc_value(vb.value));
    c += tlv(tag_sequence, list);
    return tlv(static_cast<std::uint8_t>(p.type), c);
}

// A v3 message around `msg_data` (a ScopedPDU or an encryptedPDU TLV).
std::string enc_v3(const Message& m, const std::string& msg_data, std::size_t* auth_offset) {
    std::string global = enc_signed(tag_integer, m.msg_id);
    global += enc_signed(tag_integer, m.max_size);
    global += tlv(tag_octets, std::string(1, static_cast<char>(m.flags)));
    global += enc_signed(tag_integer, m.security_model);

    std::string before_auth = tlv(tag_octets, m.usm.engine_id);
    before_auth += enc_signed(tag_integer, m.usm.boots);
    before_auth += enc_signed(tag_integer, m.usm.time);
    before_auth += tlv(tag_octets, m.usm.user);
    std::string auth = tlv(tag_octets, m.usm.auth_params);
    std::string usm_content = before_auth + auth + tlv(tag_octets, m.usm.priv_params);
    std::string usm_seq = tlv(tag_sequence, usm_content);

    std::string content = enc_signed(tag_integer, 3);
    content += tlv(tag_sequence, global);
    std::size_t sec_start = content.size();
    content += tlv(tag_octets, usm_seq);
    content += msg_data;
    if (auth_offset) {
        std::size_t off = header_size(content.size()) + sec_start + header_size(usm_seq.size()) +
                          header_size(usm_content.size()) + before_auth.size() +
                          header_size(m.usm.auth_params.size());
        *auth_offset = off;
    }
    return tlv(tag_sequence, content);
}

}  // namespace

bool decode_message(std::span<const std::uint8_t> packet, Message& m, std::string& error) {
    m.community.clear();
    m.msg_id = 0;
    m.max_size = 65507;
    m.flags = 0;
    m.security_model = 3;
    m.usm = Usm{};
    m.context_engine_id.clear();
    m.context_name.clear();
    m.encrypted.clear();
    m.has_pdu = false;
    Decoder d(packet, error);
    return d.message(m);
}

bool decode_scoped_pdu(std::span<const std::uint8_t> plaintext, Message& m, std::string& error) {
    Decoder d(plaintext, error);
    std::size_t pos = 0;
    m.has_pdu = false;
    // Bytes after the ScopedPDU are the cipher's padding (DES pads to 8), not an error.
    return d.scoped_pdu(pos, d.size(), m);
}

std::string encode_message(const Message& m, std::size_t* auth_offset) {
    if (m.version == Version::v3) return enc_v3(m, encode_scoped_pdu(m), auth_offset);
    std::string content = enc_signed(tag_integer, static_cast<std::int32_t>(m.version));
    content += tlv(tag_octets, m.community);
    content += enc_pdu(m.pdu);
    if (auth_offset) *auth_offset = 0;
    return tlv(tag_sequence, content);
}

std::string encode_scoped_pdu(const Message& m) {
    std::string c = tlv(tag_octets, m.context_engine_id);
    c += tlv(tag_octets, m.context_name);
    c += enc_pdu(m.pdu);
    return tlv(tag_sequence, c);
}

std::string encode_message_encrypted(const Message& m, std::string_view encrypted,
                                     std::size_t* auth_offset) {
    return enc_v3(m, tlv(tag_octets, encrypted), auth_offset);
}

}  // namespace dce::trap
