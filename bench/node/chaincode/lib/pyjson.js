/*
 * JSON exactly as the Python chaincode reads and writes it.
 *
 * The Python chaincode parses transient data with `json.loads` and writes canonical
 * JSON with `json.dumps(sort_keys=True, separators=(",", ":"), ensure_ascii=False,
 * allow_nan=False)`. A baseline that used `JSON.parse` / `JSON.stringify` instead would
 * accept and refuse different inputs (`1.0` is a float to Python but `1` to
 * JavaScript, `NaN` is valid to Python) and sign-check different bytes. So:
 *
 * - `loads(bytes)` decodes like `json.loads(bytes)` (UTF-8/16/32 detection, BOMs,
 *   `surrogatepass`) and keeps Python's value model: objects are `Map`s (insertion
 *   order, a repeated key keeps its first place and its last value), integers are
 *   numbers (or BigInts beyond 2^53), floats are `PyFloat`, `null` is `null`.
 * - `dumps(value)` writes canonical JSON (keys sorted by code point) and `encode`
 *   turns it into UTF-8, refusing lone surrogates as Python's codec does.
 * - `pyStr` / `pyRepr` spell a value the way Python's `str()` / `repr()` do, for
 *   error messages that quote what the client sent.
 */
'use strict';

const hasOwn = (object, key) => Object.prototype.hasOwnProperty.call(object, key);

/** A Python float parsed from JSON (NaN and the infinities included). */
class PyFloat {
    constructor(value) {
        this.value = value;
    }
}

/** What `json.loads` raises as ValueError (or UnicodeDecodeError). */
class JSONDecodeError extends Error {}

const MAX_INT_DIGITS = 4300; // Python's default int_max_str_digits
const MAX_DEPTH = 990; // where CPython's recursion limit stops a nested document

// ------------------------------------------------------------------ decoding bytes

function detectEncoding(b) {
    if (b.length >= 4 && ((b[0] === 0 && b[1] === 0 && b[2] === 0xfe && b[3] === 0xff) ||
        (b[0] === 0xff && b[1] === 0xfe && b[2] === 0 && b[3] === 0))) {
        return 'utf-32';
    }
    if (b.length >= 2 && ((b[0] === 0xfe && b[1] === 0xff) || (b[0] === 0xff && b[1] === 0xfe))) {
        return 'utf-16';
    }
    if (b.length >= 3 && b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) {
        return 'utf-8-sig';
    }
    if (b.length >= 4) {
        if (!b[0]) {
            return b[1] ? 'utf-16-be' : 'utf-32-be';
        }
        if (!b[1]) {
            return b[2] || b[3] ? 'utf-16-le' : 'utf-32-le';
        }
    } else if (b.length === 2) {
        if (!b[0]) {
            return 'utf-16-be';
        }
        if (!b[1]) {
            return 'utf-16-le';
        }
    }
    return 'utf-8';
}

const UTF8 = new TextDecoder('utf-8', {fatal: true, ignoreBOM: true});

/** UTF-8 with Python's 'surrogatepass': encoded surrogates (ED A0..BF xx) are kept. */
function decodeUtf8(b) {
    try {
        return UTF8.decode(b);
    } catch {
        // the slow path, only for input the strict decoder refused
    }
    const units = [];
    for (let i = 0; i < b.length;) {
        const c = b[i];
        let cp;
        let n;
        if (c < 0x80) {
            cp = c;
            n = 1;
        } else if (c >= 0xc2 && c <= 0xdf) {
            cp = c & 0x1f;
            n = 2;
        } else if (c >= 0xe0 && c <= 0xef) {
            cp = c & 0x0f;
            n = 3;
        } else if (c >= 0xf0 && c <= 0xf4) {
            cp = c & 0x07;
            n = 4;
        } else {
            throw new JSONDecodeError(`'utf-8' codec can't decode byte at position ${i}`);
        }
        if (i + n > b.length) {
            throw new JSONDecodeError(`'utf-8' codec can't decode bytes at position ${i}`);
        }
        for (let k = 1; k < n; k++) {
            if ((b[i + k] & 0xc0) !== 0x80) {
                throw new JSONDecodeError(`'utf-8' codec can't decode byte at position ${i}`);
            }
            cp = (cp << 6) | (b[i + k] & 0x3f);
        }
        const overlong = (n === 3 && cp < 0x800) || (n === 4 && (cp < 0x10000 || cp > 0x10ffff));
        if (overlong) {
            throw new JSONDecodeError(`'utf-8' codec can't decode bytes at position ${i}`);
        }
        units.push(cp);
        i += n;
    }
    let text = '';
    for (let i = 0; i < units.length; i += 8192) {
        text += String.fromCodePoint(...units.slice(i, i + 8192));
    }
    return text;
}

function decodeUtf16(b, littleEndian, bom) {
    let start = 0;
    if (bom) {
        littleEndian = b[0] === 0xff;
        start = 2;
    }
    if ((b.length - start) % 2) {
        throw new JSONDecodeError("'utf-16' codec can't decode: truncated data");
    }
    const units = new Array((b.length - start) / 2);
    for (let i = start, k = 0; i < b.length; i += 2, k++) {
        units[k] = littleEndian ? b[i] | (b[i + 1] << 8) : (b[i] << 8) | b[i + 1];
    }
    let text = '';
    for (let i = 0; i < units.length; i += 8192) {
        text += String.fromCharCode(...units.slice(i, i + 8192));
    }
    return text;
}

function decodeUtf32(b, littleEndian, bom) {
    let start = 0;
    if (bom) {
        littleEndian = b[0] === 0xff;
        start = 4;
    }
    if ((b.length - start) % 4) {
        throw new JSONDecodeError("'utf-32' codec can't decode: truncated data");
    }
    const points = [];
    for (let i = start; i < b.length; i += 4) {
        const cp = littleEndian ?
            (b[i] | (b[i + 1] << 8) | (b[i + 2] << 16) | (b[i + 3] << 24)) >>> 0 :
            ((b[i] << 24) | (b[i + 1] << 16) | (b[i + 2] << 8) | b[i + 3]) >>> 0;
        if (cp > 0x10ffff) {
            throw new JSONDecodeError(`'utf-32' codec can't decode code point ${cp}`);
        }
        points.push(cp);
    }
    return points.map((cp) => String.fromCodePoint(cp)).join('');
}

function decodeBytes(b) {
    switch (detectEncoding(b)) {
        case 'utf-32': return decodeUtf32(b, false, true);
        case 'utf-32-be': return decodeUtf32(b, false, false);
        case 'utf-32-le': return decodeUtf32(b, true, false);
        case 'utf-16': return decodeUtf16(b, false, true);
        case 'utf-16-be': return decodeUtf16(b, false, false);
        case 'utf-16-le': return decodeUtf16(b, true, false);
        case 'utf-8-sig': return decodeUtf8(b.subarray(3));
        default: return decodeUtf8(b);
    }
}

// ------------------------------------------------------------------ parsing text

const NUMBER = /(-?(?:0|[1-9][0-9]*))(\.[0-9]+)?([eE][-+]?[0-9]+)?/y;
const HEX4 = /^[0-9a-fA-F]{4}$/;
const ESCAPES = {'"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t'};

class Parser {
    constructor(text) {
        this.s = text;
        this.i = 0;
        this.depth = 0;
    }

    fail(what) {
        throw new JSONDecodeError(`${what}: char ${this.i}`);
    }

    ws() {
        const s = this.s;
        let i = this.i;
        while (i < s.length) {
            const c = s.charCodeAt(i);
            if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) {
                break;
            }
            i++;
        }
        this.i = i;
    }

    document() {
        this.ws();
        const value = this.value();
        this.ws();
        if (this.i !== this.s.length) {
            this.fail('Extra data');
        }
        return value;
    }

    value() {
        const s = this.s;
        const c = s[this.i];
        if (c === '"') {
            return this.string();
        }
        if (c === '{') {
            return this.nested(() => this.object());
        }
        if (c === '[') {
            return this.nested(() => this.array());
        }
        for (const [word, value] of LITERALS) {
            if (s.startsWith(word, this.i)) {
                this.i += word.length;
                return typeof value === 'number' ? new PyFloat(value) : value;
            }
        }
        NUMBER.lastIndex = this.i;
        const m = NUMBER.exec(s);
        if (!m) {
            this.fail('Expecting value');
        }
        this.i = NUMBER.lastIndex;
        if (m[2] !== undefined || m[3] !== undefined) {
            return new PyFloat(Number(m[0]));
        }
        const digits = m[1].replace('-', '').length;
        if (digits > MAX_INT_DIGITS) {
            throw new JSONDecodeError(
                `Exceeds the limit (${MAX_INT_DIGITS} digits) for integer string conversion`);
        }
        const n = Number(m[1]);
        return Number.isSafeInteger(n) ? n + 0 : BigInt(m[1]);
    }

    nested(parse) {
        if (++this.depth > MAX_DEPTH) {
            throw new Error('maximum recursion depth exceeded while decoding a JSON document');
        }
        const value = parse();
        this.depth--;
        return value;
    }

    object() {
        const s = this.s;
        const result = new Map();
        this.i++;
        this.ws();
        if (s[this.i] === '}') {
            this.i++;
            return result;
        }
        for (;;) {
            if (s[this.i] !== '"') {
                this.fail('Expecting property name enclosed in double quotes');
            }
            const key = this.string();
            this.ws();
            if (s[this.i] !== ':') {
                this.fail("Expecting ':' delimiter");
            }
            this.i++;
            this.ws();
            result.set(key, this.value());
            this.ws();
            const c = s[this.i++];
            if (c === '}') {
                return result;
            }
            if (c !== ',') {
                this.i--;
                this.fail("Expecting ',' delimiter");
            }
            this.ws();
        }
    }

    array() {
        const s = this.s;
        const result = [];
        this.i++;
        this.ws();
        if (s[this.i] === ']') {
            this.i++;
            return result;
        }
        for (;;) {
            result.push(this.value());
            this.ws();
            const c = s[this.i++];
            if (c === ']') {
                return result;
            }
            if (c !== ',') {
                this.i--;
                this.fail("Expecting ',' delimiter");
            }
            this.ws();
        }
    }

    string() {
        const s = this.s;
        let i = this.i + 1;
        let out = '';
        let chunk = i;
        for (;;) {
            if (i >= s.length) {
                this.i = i;
                this.fail('Unterminated string starting at');
            }
            const c = s.charCodeAt(i);
            if (c === 0x22) {
                out += s.slice(chunk, i);
                this.i = i + 1;
                return out;
            }
            if (c < 0x20) {
                this.i = i;
                this.fail('Invalid control character at');
            }
            if (c !== 0x5c) {
                i++;
                continue;
            }
            out += s.slice(chunk, i);
            const e = s[i + 1];
            if (e === 'u') {
                const hex = s.slice(i + 2, i + 6);
                if (!HEX4.test(hex)) {
                    this.i = i;
                    this.fail('Invalid \\uXXXX escape');
                }
                out += String.fromCharCode(parseInt(hex, 16));
                i += 6;
            } else if (e !== undefined && hasOwn(ESCAPES, e)) {
                out += ESCAPES[e];
                i += 2;
            } else {
                this.i = i;
                this.fail('Invalid \\escape');
            }
            chunk = i;
        }
    }
}

const LITERALS = [
    ['null', null], ['true', true], ['false', false],
    ['NaN', NaN], ['Infinity', Infinity], ['-Infinity', -Infinity],
];

/** `json.loads(raw)` for bytes: the Python value model described above. */
function loads(raw) {
    const text = decodeBytes(raw);
    if (text.charCodeAt(0) === 0xfeff) {
        throw new JSONDecodeError('Unexpected UTF-8 BOM (decode using utf-8-sig)');
    }
    return new Parser(text).document();
}

// ------------------------------------------------------------------ writing

/** Order strings by code point, as Python's `sorted` does (JavaScript's default is UTF-16). */
function compareStrings(a, b) {
    const n = Math.min(a.length, b.length);
    for (let i = 0; i < n; i++) {
        const x = a.charCodeAt(i);
        const y = b.charCodeAt(i);
        if (x !== y) {
            const xs = x >= 0xd800 && x <= 0xdfff;
            const ys = y >= 0xd800 && y <= 0xdfff;
            if (xs !== ys) {
                return xs ? 1 : -1; // a surrogate half belongs to a code point above U+FFFF
            }
            return x < y ? -1 : 1;
        }
    }
    return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}

function isMapping(value) {
    return value instanceof Map ||
        (typeof value === 'object' && value !== null && !Array.isArray(value) &&
            !(value instanceof PyFloat));
}

function entriesOf(value) {
    return value instanceof Map ? [...value.entries()] : Object.entries(value);
}

const STRING_ESCAPE = /["\\\u0000-\u001f]/;
const STRING_ESCAPES = /["\\\u0000-\u001f]/g;
const NAMED = {'"': '\\"', '\\': '\\\\', '\b': '\\b', '\f': '\\f', '\n': '\\n', '\r': '\\r', '\t': '\\t'};

function escapeChar(ch) {
    return NAMED[ch] ?? `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`;
}

/** A JSON string as Python's encoder writes it; lone surrogates stay (see `encode`). */
function dumpString(text) {
    return STRING_ESCAPE.test(text) ? `"${text.replace(STRING_ESCAPES, escapeChar)}"` : `"${text}"`;
}

/** Canonical JSON text: sorted keys, compact separators, UTF-8 characters kept. */
function dumps(value) {
    if (value === null) {
        return 'null';
    }
    switch (typeof value) {
        case 'string': return dumpString(value);
        case 'boolean': return value ? 'true' : 'false';
        case 'bigint': return value.toString();
        case 'number':
            if (!Number.isInteger(value)) {
                return floatRepr(value, true);
            }
            return Math.abs(value) < 1e21 ? String(value) : BigInt(value).toString();
        default:
    }
    if (value instanceof PyFloat) {
        return floatRepr(value.value, true);
    }
    if (Array.isArray(value)) {
        return `[${value.map(dumps).join(',')}]`;
    }
    if (isMapping(value)) {
        const entries = entriesOf(value).sort((x, y) => compareStrings(x[0], y[0]));
        return `{${entries.map(([k, v]) => `${dumpString(k)}:${dumps(v)}`).join(',')}}`;
    }
    throw new TypeError(`Object of type ${typeof value} is not JSON serializable`);
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** The UTF-8 bytes of `text`; a lone surrogate fails, as `str.encode('utf-8')` does. */
function encode(text) {
    const lone = LONE_SURROGATE.exec(text);
    if (lone) {
        const hex = lone[0].charCodeAt(0).toString(16);
        throw new Error(`'utf-8' codec can't encode character '\\u${hex}' in position ` +
            `${[...text.slice(0, lone.index)].length}: surrogates not allowed`);
    }
    return Buffer.from(text, 'utf8');
}

/** Canonical JSON as bytes (the `canonical_bytes` of the Python runtime). */
function canonicalBytes(value) {
    return encode(dumps(value));
}

// ------------------------------------------------------------------ Python spellings

/** `repr(float)`: the shortest digits, fixed notation for 1e-4 <= |x| < 1e16. */
function floatRepr(x, forJson = false) {
    if (Number.isNaN(x) || !Number.isFinite(x)) {
        if (forJson) {
            throw new RangeError(`Out of range float values are not JSON compliant: ${x}`);
        }
        return Number.isNaN(x) ? 'nan' : x > 0 ? 'inf' : '-inf';
    }
    const sign = x < 0 || Object.is(x, -0) ? '-' : '';
    const [mantissa, exponent] = Math.abs(x).toExponential().split('e');
    const digits = mantissa.replace('.', '');
    const decpt = Number(exponent) + 1;
    if (decpt <= -4 || decpt > 16) {
        const rest = digits.length > 1 ? `.${digits.slice(1)}` : '';
        const e = decpt - 1;
        return `${sign}${digits[0]}${rest}e${e < 0 ? '-' : '+'}${String(Math.abs(e)).padStart(2, '0')}`;
    }
    if (decpt <= 0) {
        return `${sign}0.${'0'.repeat(-decpt)}${digits}`;
    }
    if (decpt >= digits.length) {
        return `${sign}${digits}${'0'.repeat(decpt - digits.length)}.0`;
    }
    return `${sign}${digits.slice(0, decpt)}.${digits.slice(decpt)}`;
}

const NOT_PRINTABLE = /[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}\p{Zs}]/u;

function strRepr(text) {
    const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
    let out = quote;
    for (const ch of text) {
        const cp = ch.codePointAt(0);
        if (ch === quote || ch === '\\') {
            out += `\\${ch}`;
        } else if (ch === '\t') {
            out += '\\t';
        } else if (ch === '\n') {
            out += '\\n';
        } else if (ch === '\r') {
            out += '\\r';
        } else if (ch !== ' ' && NOT_PRINTABLE.test(ch)) {
            const hex = cp.toString(16);
            out += cp < 0x100 ? `\\x${hex.padStart(2, '0')}` :
                cp < 0x10000 ? `\\u${hex.padStart(4, '0')}` : `\\U${hex.padStart(8, '0')}`;
        } else {
            out += ch;
        }
    }
    return out + quote;
}

/** `repr(value)` of a value `loads` returned. */
function pyRepr(value) {
    if (typeof value === 'string') {
        return strRepr(value);
    }
    if (Array.isArray(value)) {
        return `[${value.map(pyRepr).join(', ')}]`;
    }
    if (value instanceof Map) {
        return `{${[...value].map(([k, v]) => `${pyRepr(k)}: ${pyRepr(v)}`).join(', ')}}`;
    }
    return pyStr(value);
}

/** `str(value)` of a value `loads` returned. */
function pyStr(value) {
    if (value === null || value === undefined) {
        return 'None';
    }
    if (value === true) {
        return 'True';
    }
    if (value === false) {
        return 'False';
    }
    if (typeof value === 'string') {
        return value;
    }
    if (typeof value === 'number' || typeof value === 'bigint') {
        return String(value);
    }
    if (value instanceof PyFloat) {
        return floatRepr(value.value);
    }
    return pyRepr(value);
}

/** `len(text)`: code points, not UTF-16 units. */
function pyLen(text) {
    let n = 0;
    for (let i = 0; i < text.length; i++) {
        const c = text.charCodeAt(i);
        if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
            const d = text.charCodeAt(i + 1);
            if (d >= 0xdc00 && d <= 0xdfff) {
                i++;
            }
        }
        n++;
    }
    return n;
}

/** Whether `value` is what Python calls an int (bool excluded, as `type(x) is int` does). */
function isInt(value) {
    return (typeof value === 'number' && Number.isInteger(value)) || typeof value === 'bigint';
}

module.exports = {
    JSONDecodeError,
    PyFloat,
    canonicalBytes,
    compareStrings,
    dumps,
    encode,
    floatRepr,
    isInt,
    loads,
    pyLen,
    pyRepr,
    pyStr,
};
