package cfruntime

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"regexp"

	"github.com/dop251/goja"
	"github.com/dop251/goja/ast"
	"github.com/dop251/goja/parser"

	"github.com/securestream/terraform-provider-securestream/internal/cflimits"
)

// ErrTooLarge is returned for code over cflimits.FunctionCodeSize, as
// CloudFront's FunctionSizeLimitExceeded.
var ErrTooLarge = errors.New("FunctionSizeLimitExceeded")

// Function is compiled function code, ready to run many times.
type Function struct {
	name    string
	runtime Runtime
	size    int
	prog    *goja.Program
	modules []string // modules imported with import statements, in order
	// names holds every identifier, property name and string literal in
	// the code. Setting up an invocation removes an absent built-in or
	// installs a global only when the code can name it, because touching
	// goja's lazily built global objects is what costs most per invocation.
	names map[string]bool
	// globals installs the globals of the runtime that the code needs
	// (see features).
	globals []func(*env)
}

// Name returns the function's name.
func (f *Function) Name() string { return f.name }

// Runtime returns the function's runtime.
func (f *Function) Runtime() Runtime { return f.runtime }

// Size returns the size of the function code in bytes.
func (f *Function) Size() int { return f.size }

// importRE matches the ES module imports CloudFront accepts, such as
// `import crypto from 'crypto';` and `import cf from 'cloudfront';`.
var importRE = regexp.MustCompile(`(?m)^[ \t]*import[ \t]+([A-Za-z_$][\w$]*)[ \t]+from[ \t]*(['"])(` + importable() + `)(['"])[ \t]*;?`)

// Compile checks and compiles function code for a runtime. It refuses
// what CloudFront refuses when the function is created or published: code
// over 10 KB, a byte order mark, export statements, syntax errors, syntax
// the runtime does not support, and a missing handler function.
func Compile(name string, code []byte, rt Runtime) (*Function, error) {
	if rt != JS10 && rt != JS20 {
		return nil, fmt.Errorf("InvalidArgument: runtime %q is not cloudfront-js-1.0 or cloudfront-js-2.0", rt)
	}
	if len(code) > cflimits.FunctionCodeSize {
		return nil, fmt.Errorf("%w: the function code is %d bytes; the limit is %d", ErrTooLarge, len(code), cflimits.FunctionCodeSize)
	}
	if bytes.HasPrefix(code, []byte("\xef\xbb\xbf")) {
		return nil, errors.New("InternalError: the function code starts with a UTF-8 byte order mark; remove it")
	}
	src := string(code)
	if exportRE.MatchString(src) {
		return nil, errors.New("InvalidArgument: export statements are not supported; declare function handler(event) at the top level")
	}
	f := &Function{name: name, runtime: rt, size: len(code)}

	// Imports become variables bound to the module, once per invocation.
	// Import statements are 2.0 syntax; in 1.0 they stay, a syntax error.
	if rt == JS20 {
		src = importRE.ReplaceAllStringFunc(src, func(line string) string {
			m := importRE.FindStringSubmatch(line)
			if m[2] != m[4] {
				return line
			}
			f.modules = append(f.modules, m[3])
			return "var " + m[1] + " = __import(" + m[2] + m[3] + m[2] + ");"
		})
	}
	prog, err := parser.ParseFile(nil, name, src, 0)
	if err != nil {
		return nil, fmt.Errorf("InvalidArgument: syntax error: %v", err)
	}
	if err := checkSyntax(prog, rt); err != nil {
		return nil, err
	}
	if !declaresHandler(prog) {
		return nil, errors.New("InvalidArgument: the code has no top-level function named handler")
	}
	f.names = collectNames(prog)
	f.globals = globalsFor(f)
	f.prog, err = goja.CompileAST(prog, true)
	if err != nil {
		return nil, fmt.Errorf("InvalidArgument: %v", err)
	}
	return f, nil
}

func declaresHandler(prog *ast.Program) bool {
	for _, st := range prog.Body {
		if fd, ok := st.(*ast.FunctionDeclaration); ok && fd.Function.Name != nil && fd.Function.Name.Name == "handler" {
			return true
		}
	}
	return false
}

// checkSyntax walks the syntax tree for what the runtime does not support.
// Both runtimes lack classes, generators, for-of loops, destructuring,
// spread and ES modules other than the imports above; 1.0 also lacks
// const, let, async and await.
func checkSyntax(prog *ast.Program, rt Runtime) error {
	var problem string
	walk(reflect.ValueOf(prog), func(n any) bool {
		switch n := n.(type) {
		case *ast.LexicalDeclaration:
			if rt == JS10 {
				problem = n.Token.String() + " declarations (use var)"
			}
		case *ast.FunctionLiteral:
			if n.Async && rt == JS10 {
				problem = "async functions"
			}
			if n.Generator {
				problem = "generator functions"
			}
		case *ast.ArrowFunctionLiteral:
			if n.Async && rt == JS10 {
				problem = "async functions"
			}
		case *ast.AwaitExpression:
			if rt == JS10 {
				problem = "await"
			}
		case *ast.ClassLiteral, *ast.ClassDeclaration:
			problem = "classes"
		case *ast.ForOfStatement:
			problem = "for...of loops"
		case *ast.ObjectPattern, *ast.ArrayPattern:
			problem = "destructuring"
		case *ast.SpreadElement:
			problem = "spread syntax"
		case *ast.YieldExpression:
			problem = "generators"
		}
		return problem == ""
	})
	if problem != "" {
		return fmt.Errorf("InvalidArgument: %s are not supported by the %s runtime", problem, rt)
	}
	return nil
}

// collectNames gathers the identifiers, property names and string
// literals of a program.
func collectNames(prog *ast.Program) map[string]bool {
	names := map[string]bool{}
	walk(reflect.ValueOf(prog), func(n any) bool {
		switch n := n.(type) {
		case *ast.Identifier:
			names[n.Name.String()] = true
		case *ast.DotExpression:
			names[n.Identifier.Name.String()] = true
		case *ast.StringLiteral:
			names[n.Value.String()] = true
		case *ast.PropertyKeyed:
			if k, ok := n.Key.(*ast.StringLiteral); ok {
				names[k.Value.String()] = true
			}
		}
		return true
	})
	return names
}

var nodeType = reflect.TypeOf((*ast.Node)(nil)).Elem()

// walk visits every AST node under v, depth first, until visit returns
// false. goja's ast package has no walker; reflection over its node types
// keeps this independent of the node list.
func walk(v reflect.Value, visit func(any) bool) bool {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return true
		}
		if v.Kind() == reflect.Pointer && v.Type().Implements(nodeType) && !visit(v.Interface()) {
			return false
		}
		return walk(v.Elem(), visit)
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() && !walk(v.Field(i), visit) {
				return false
			}
		}
	case reflect.Slice:
		for i := 0; i < v.Len(); i++ {
			if !walk(v.Index(i), visit) {
				return false
			}
		}
	}
	return true
}

// exportRE finds export statements, which break function code at the edge.
var exportRE = regexp.MustCompile(`(?m)^[ \t]*export[ \t{*]`)
