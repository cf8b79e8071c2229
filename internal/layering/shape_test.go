package layering

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
)

// Shape limits of edgeauth's own code (STYLE.md: a type is one noun; flow
// state travels as one value).
const (
	maxParams  = 5  // parameters of a function, besides a context.Context
	maxMethods = 60 // methods of one type
)

// decorators wrap a storage.Store method for method (each method one call
// through, with a count or a fault before it): their size is the
// interface's, not a type doing many jobs, so the method limit skips them.
var decorators = map[string]bool{
	"storage/storagecount.Store": true,
	"storage/storagefault.Store": true,
}

// TestShape: no function of the module (tests aside) takes more than
// maxParams parameters besides its context, and no type has more than
// maxMethods methods.
func TestShape(t *testing.T) {
	methods := map[string]int{}
	root := "../.."
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); p != root && (strings.HasPrefix(name, ".") || name == "node_modules" || name == "build" || name == "testdata") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), p, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		for _, decl := range f.Decls {
			fn, ok := decl.(*ast.FuncDecl)
			if !ok {
				continue
			}
			if n := params(fn.Type); n > maxParams {
				t.Errorf("%s: %s takes %d parameters besides its context; at most %d (carry them as one value)", rel, fn.Name.Name, n, maxParams)
			}
			if recv := receiver(fn); recv != "" {
				methods[filepath.Dir(rel)+"."+recv]++
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(methods) == 0 {
		t.Fatal("no methods found: the walk read nothing")
	}
	for typ, n := range methods {
		if n > maxMethods && !decorators[typ] {
			t.Errorf("%s has %d methods; at most %d (give each job its own type)", typ, n, maxMethods)
		}
	}
}

// params counts the parameters of a function type, leaving out a
// context.Context.
func params(ft *ast.FuncType) int {
	n := 0
	for _, field := range ft.Params.List {
		if sel, ok := field.Type.(*ast.SelectorExpr); ok && sel.Sel.Name == "Context" {
			if x, ok := sel.X.(*ast.Ident); ok && x.Name == "context" {
				continue
			}
		}
		n += max(len(field.Names), 1)
	}
	return n
}

// receiver is the name of a method's receiver type, "" for a function.
func receiver(fn *ast.FuncDecl) string {
	if fn.Recv == nil || len(fn.Recv.List) == 0 {
		return ""
	}
	t := fn.Recv.List[0].Type
	if s, ok := t.(*ast.StarExpr); ok {
		t = s.X
	}
	switch x := t.(type) {
	case *ast.IndexExpr:
		t = x.X
	case *ast.IndexListExpr:
		t = x.X
	}
	if id, ok := t.(*ast.Ident); ok {
		return id.Name
	}
	return ""
}
