package cfruntime

import (
	"strings"

	"github.com/dop251/goja"
)

// Runtime names a CloudFront Functions JavaScript runtime.
type Runtime string

// The runtimes CloudFront offers.
const (
	JS10 Runtime = "cloudfront-js-1.0"
	JS20 Runtime = "cloudfront-js-2.0"
)

// runtimes is a set of runtimes: where a module or global exists.
type runtimes uint8

const (
	in10   runtimes = 1 << iota // cloudfront-js-1.0
	in20                        // cloudfront-js-2.0
	inBoth = in10 | in20
)

func (s runtimes) has(rt Runtime) bool {
	return rt == JS10 && s&in10 != 0 || rt == JS20 && s&in20 != 0
}

// globalsFor returns the installers of the globals f's invocations need,
// in the order of the table.
func globalsFor(f *Function) []func(*env) {
	var install []func(*env)
	for i := range features {
		if g := &features[i]; g.global != nil && g.in.has(f.runtime) && g.needed(f) {
			install = append(install, g.global)
		}
	}
	return install
}

// feature is a module or a global of the runtimes.
type feature struct {
	name string
	in   runtimes // the runtimes that have it
	// A module is loaded once per invocation, when require(name) or, in
	// 2.0, `import x from 'name'` first asks for it.
	module     func(*env) goja.Value
	importOnly bool // the module is not found by require
	// A global is installed on every invocation of a function that needs
	// it; installing costs time, so most are installed only when the code
	// mentions them (see Function.names and Function.globals).
	global func(*env)
	needed func(*Function) bool
}

// features says which module and which global exists in which runtime;
// each is implemented in its own file (crypto.go, querystring.go,
// buffer.go, cloudfront.go, console.go, textencoding.go, bytestrings.go).
var features = []feature{
	{name: "crypto", in: inBoth, module: (*env).cryptoModule},
	{name: "querystring", in: inBoth, module: (*env).querystringModule},
	{name: "buffer", in: in20, module: (*env).bufferModule},
	{name: "cloudfront", in: in20, module: (*env).cloudfrontModule, importOnly: true},

	{name: "console", in: inBoth, global: (*env).installConsole, needed: always},
	{name: "require", in: inBoth, global: (*env).installRequire, needed: mentions("require")},
	// __import is no global of CloudFront's but how the compiler's
	// rewritten import statements load their module.
	{name: "__import", in: in20, global: (*env).installImport, needed: importsModules},
	{name: "Buffer", in: in20, global: (*env).installBuffer, needed: mentions("Buffer")},
	{name: "atob", in: in20, global: (*env).installAtob, needed: mentions("atob")},
	{name: "btoa", in: in20, global: (*env).installBtoa, needed: mentions("btoa")},
	{name: "TextEncoder", in: in20, global: (*env).installTextEncoder, needed: mentions("TextEncoder")},
	{name: "TextDecoder", in: in20, global: (*env).installTextDecoder, needed: mentions("TextDecoder")},
	{name: "String.bytesFrom and String.prototype.fromBytes, fromUTF8, toBytes, toUTF8", in: in10,
		global: (*env).installByteStrings, needed: mentions("bytesFrom", "fromBytes", "fromUTF8", "toBytes", "toUTF8")},
}

func always(*Function) bool { return true }

func importsModules(f *Function) bool { return len(f.modules) > 0 }

func mentions(names ...string) func(*Function) bool {
	return func(f *Function) bool {
		for _, n := range names {
			if f.names[n] {
				return true
			}
		}
		return false
	}
}

// findModule returns the module name as require (or, with viaImport, an
// import statement) finds it in rt in the table fs. (It takes the table
// as an argument because the table's require refers back to it.)
func findModule(fs []feature, name string, rt Runtime, viaImport bool) (func(*env) goja.Value, bool) {
	for i := range fs {
		m := &fs[i]
		if m.module != nil && m.name == name && m.in.has(rt) && (viaImport || !m.importOnly) {
			return m.module, true
		}
	}
	return nil, false
}

// absentGlobals and absentMethods list built-ins CloudFront Functions
// does not have in either runtime (from AWS's runtime pages and
// measurements with TestFunction); they are removed so that code using
// them fails locally as it would at the edge.
var absentGlobals = []string{"eval", "Map", "Set", "WeakMap", "WeakSet", "WeakRef", "FinalizationRegistry", "Proxy", "Reflect", "BigInt", "BigInt64Array", "BigUint64Array"}

var absentMethods = map[string][]string{
	"Array.prototype":  {"flat", "flatMap", "at", "findLast", "findLastIndex", "toSorted", "toReversed", "toSpliced", "with"},
	"String.prototype": {"at", "matchAll", "normalize"},
	"Object":           {"fromEntries", "hasOwn", "groupBy"},
}

// importable lists the modules an import statement can name, for the
// compiler, which rewrites such statements.
func importable() string {
	var names []string
	for _, m := range features {
		if m.module != nil {
			names = append(names, m.name)
		}
	}
	return strings.Join(names, "|")
}
