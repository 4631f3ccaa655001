// The Buffer subset of the cloudfront-js-2.0 runtime, on Uint8Array.
// Loaded lazily into an invocation the first time the function touches
// Buffer (or a crypto digest without an encoding returns one). The natives
// convert between strings and bytes in Go: dec(string, encoding) returns an
// ArrayBuffer, enc(Uint8Array, encoding) a string, isEnc(name) a boolean.
(function (dec, enc, isEnc) {
	'use strict';
	function encoding(e) {
		if (e === undefined) return 'utf8';
		if (!isEnc(e)) throw new TypeError('Unknown encoding: ' + e);
		return String(e).toLowerCase().replace('-', '');
	}
	class Buffer extends Uint8Array {
		static alloc(size, fill, enc) {
			var b = new Buffer(size);
			if (fill !== undefined && fill !== 0) b.fill(fill, 0, size, enc);
			return b;
		}
		static allocUnsafe(size) { return new Buffer(size); }
		static byteLength(v, enc) {
			if (typeof v === 'string') return dec(v, encoding(enc)).byteLength;
			if (v instanceof ArrayBuffer || ArrayBuffer.isView(v)) return v.byteLength;
			throw new TypeError('The "string" argument must be of type string or an instance of Buffer or ArrayBuffer');
		}
		static compare(a, b) { return Buffer.prototype.compare.call(a, b); }
		static concat(list, total) {
			if (!Array.isArray(list)) throw new TypeError('The "list" argument must be an instance of Array');
			if (total === undefined) { total = 0; for (var i = 0; i < list.length; i++) total += list[i].length; }
			var out = new Buffer(total), pos = 0;
			for (var j = 0; j < list.length && pos < total; j++) {
				var part = list[j].subarray(0, total - pos);
				out.set(part, pos);
				pos += part.length;
			}
			return out;
		}
		static from(v, a, b) {
			if (typeof v === 'string') return new Buffer(dec(v, encoding(a)));
			if (v instanceof ArrayBuffer) return new Buffer(v, a || 0, b === undefined ? v.byteLength - (a || 0) : b);
			if (ArrayBuffer.isView(v) || Array.isArray(v)) { var out = new Buffer(v.length); for (var i = 0; i < v.length; i++) out[i] = v[i]; return out; }
			if (v && typeof v === 'object') {
				if (v.type === 'Buffer' && Array.isArray(v.data)) return Buffer.from(v.data);
				if (typeof v.length === 'number') return Buffer.from(Array.prototype.slice.call(v));
			}
			throw new TypeError('The first argument must be of type string, Buffer, ArrayBuffer, Array, or Array-like Object');
		}
		static isBuffer(v) { return v instanceof Buffer; }
		static isEncoding(e) { return typeof e === 'string' && isEnc(e); }
		compare(other) {
			var n = Math.min(this.length, other.length);
			for (var i = 0; i < n; i++) if (this[i] !== other[i]) return this[i] < other[i] ? -1 : 1;
			return this.length === other.length ? 0 : (this.length < other.length ? -1 : 1);
		}
		copy(target, tStart, sStart, sEnd) {
			tStart = tStart || 0; sStart = sStart || 0; sEnd = sEnd === undefined ? this.length : sEnd;
			var part = this.subarray(sStart, Math.min(sEnd, sStart + target.length - tStart));
			target.set(part, tStart);
			return part.length;
		}
		equals(other) { return this.compare(other) === 0; }
		fill(v, start, end, enc) {
			start = start || 0; end = end === undefined ? this.length : end;
			if (typeof v === 'string') {
				var bytes = Buffer.from(v, enc);
				if (bytes.length === 0) v = 0;
				else { for (var i = start, j = 0; i < end; i++, j = (j + 1) % bytes.length) this[i] = bytes[j]; return this; }
			}
			return Uint8Array.prototype.fill.call(this, typeof v === 'number' ? v & 255 : 0, start, end);
		}
		indexOf(v, from, enc) {
			var needle = typeof v === 'number' ? [v & 255] : (typeof v === 'string' ? Buffer.from(v, enc) : v);
			from = from || 0; if (from < 0) from = Math.max(this.length + from, 0);
			outer: for (var i = from; i + needle.length <= this.length; i++) {
				for (var j = 0; j < needle.length; j++) if (this[i + j] !== needle[j]) continue outer;
				return i;
			}
			return -1;
		}
		lastIndexOf(v, from, enc) {
			var needle = typeof v === 'number' ? [v & 255] : (typeof v === 'string' ? Buffer.from(v, enc) : v);
			var start = from === undefined ? this.length - needle.length : Math.min(from, this.length - needle.length);
			outer: for (var i = start; i >= 0; i--) {
				for (var j = 0; j < needle.length; j++) if (this[i + j] !== needle[j]) continue outer;
				return i;
			}
			return -1;
		}
		includes(v, from, enc) { return this.indexOf(v, from, enc) !== -1; }
		slice(s, e) { return this.subarray(s, e); }
		swap16() { return swap(this, 2); }
		swap32() { return swap(this, 4); }
		swap64() { return swap(this, 8); }
		toJSON() { return { type: 'Buffer', data: Array.prototype.slice.call(this) }; }
		toString(e, s, end) { return enc(this.subarray(s || 0, end === undefined ? this.length : end), encoding(e)); }
		write(str, offset, length, e) {
			if (typeof offset === 'string') { e = offset; offset = 0; length = undefined; }
			else if (typeof length === 'string') { e = length; length = undefined; }
			offset = offset || 0;
			var bytes = Buffer.from(str, e);
			var n = Math.min(bytes.length, this.length - offset, length === undefined ? Infinity : length);
			this.set(bytes.subarray(0, n), offset);
			return n;
		}
	}
	function swap(b, size) {
		if (b.length % size !== 0) throw new RangeError('Buffer size must be a multiple of ' + (size * 8) + '-bits');
		for (var i = 0; i < b.length; i += size) Uint8Array.prototype.reverse.call(b.subarray(i, i + size));
		return b;
	}
	function view(b) { return new DataView(b.buffer, b.byteOffset, b.byteLength); }
	function check(b, off, n) {
		off = off === undefined ? 0 : off;
		if (off < 0 || off + n > b.length || off !== Math.floor(off)) throw new RangeError('The value of "offset" is out of range.');
		return off;
	}
	[['Int8', 1], ['UInt8', 1, 'Uint8'], ['Int16BE', 2], ['Int16LE', 2], ['UInt16BE', 2, 'Uint16'], ['UInt16LE', 2, 'Uint16'],
		['Int32BE', 4], ['Int32LE', 4], ['UInt32BE', 4, 'Uint32'], ['UInt32LE', 4, 'Uint32'],
		['FloatBE', 4, 'Float32'], ['FloatLE', 4, 'Float32'], ['DoubleBE', 8, 'Float64'], ['DoubleLE', 8, 'Float64']].forEach(function (t) {
		var name = t[0], n = t[1], dv = t[2] || name.replace(/(BE|LE)$/, ''), le = /LE$/.test(name);
		Buffer.prototype['read' + name] = function (off) { off = check(this, off, n); return view(this)['get' + dv](off, le); };
		Buffer.prototype['write' + name] = function (v, off) { off = check(this, off, n); view(this)['set' + dv](off, v, le); return off + n; };
	});
	['BE', 'LE'].forEach(function (end) {
		Buffer.prototype['readUInt' + end] = function (off, n) {
			off = check(this, off, n); var v = 0;
			for (var i = 0; i < n; i++) v = v * 256 + this[off + (end === 'BE' ? i : n - 1 - i)];
			return v;
		};
		Buffer.prototype['readInt' + end] = function (off, n) {
			var v = this['readUInt' + end](off, n), lim = Math.pow(2, 8 * n - 1);
			return v >= lim ? v - 2 * lim : v;
		};
		Buffer.prototype['writeUInt' + end] = function (v, off, n) {
			off = check(this, off, n);
			for (var i = 0; i < n; i++) { this[off + (end === 'BE' ? n - 1 - i : i)] = v & 255; v = Math.floor(v / 256); }
			return off + n;
		};
		Buffer.prototype['writeInt' + end] = function (v, off, n) {
			return this['writeUInt' + end](v < 0 ? v + Math.pow(2, 8 * n) : v, off, n);
		};
	});
	return Buffer;
})
