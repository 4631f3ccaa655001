package cloudfront

import (
	"bytes"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"io"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Namespace is the XML namespace of API version 2020-05-31.
const Namespace = "http://cloudfront.amazonaws.com/doc/2020-05-31/"

// Bounds on a request document, so that a hostile body costs little.
const (
	maxDepth    = 32
	maxElements = 20000
)

// node is an element of a request document, kept as sent: a stored
// distribution configuration is answered back from it, so that nothing
// the caller sent is dropped, whatever this emulator understands of it.
type node struct {
	Name string  `json:"n"`
	Text string  `json:"t,omitempty"`
	Kids []*node `json:"k,omitempty"`
}

// parseXML reads one document whose root element is root.
func parseXML(r io.Reader, root string) (*node, error) {
	dec := xml.NewDecoder(r)
	dec.Strict = true
	var stack []*node
	var top *node
	count := 0
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, errMalformedXML("the request body is not well-formed XML: %v", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if count++; count > maxElements || len(stack) >= maxDepth {
				return nil, errMalformedXML("the request document is too large or too deeply nested")
			}
			if t.Name.Space != "" && t.Name.Space != Namespace {
				return nil, errMalformedXML("element %s is in namespace %q; expected %q", t.Name.Local, t.Name.Space, Namespace)
			}
			n := &node{Name: t.Name.Local}
			if len(stack) == 0 {
				if top != nil {
					return nil, errMalformedXML("the request body has more than one root element")
				}
				top = n
			} else {
				parent := stack[len(stack)-1]
				parent.Kids = append(parent.Kids, n)
			}
			stack = append(stack, n)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) == 0 {
				if len(bytes.TrimSpace(t)) > 0 {
					return nil, errMalformedXML("text outside the root element")
				}
				continue
			}
			stack[len(stack)-1].Text += string(t)
		case xml.Directive:
			return nil, errMalformedXML("XML directives (DOCTYPE, ENTITY) are not accepted")
		}
	}
	if top == nil {
		return nil, errMalformedXML("the request body is empty; expected a %s document", root)
	}
	if top.Name != root {
		return nil, errMalformedXML("the root element is %s; expected %s", top.Name, root)
	}
	return top, nil
}

// child returns the first child named name, or nil.
func (n *node) child(name string) *node {
	if n == nil {
		return nil
	}
	for _, k := range n.Kids {
		if k.Name == name {
			return k
		}
	}
	return nil
}

// write renders n; xmlns is set on the element when ns is true.
func (n *node) write(b *bytes.Buffer, ns bool) {
	b.WriteString("<" + n.Name)
	if ns {
		b.WriteString(` xmlns="` + Namespace + `"`)
	}
	b.WriteString(">")
	if len(n.Kids) == 0 {
		_ = xml.EscapeText(b, []byte(n.Text))
	}
	for _, k := range n.Kids {
		k.write(b, false)
	}
	b.WriteString("</" + n.Name + ">")
}

var timeType = reflect.TypeFor[time.Time]()

// decode checks n against the shape of v (an SDK type, or a request type
// built like one) and fills v: an element the shape does not have, a
// repeated element, a value of the wrong type or outside its enum, and a
// list whose Quantity differs from its Items are refused, as CloudFront
// refuses them.
func (n *node) decode(v reflect.Value, path string) error {
	t := v.Type()
	leaf := func() (string, error) {
		if len(n.Kids) > 0 {
			return "", errMalformedXML("%s holds elements; expected a value", path)
		}
		return strings.TrimSpace(n.Text), nil
	}
	switch {
	case t == timeType:
		s, err := leaf()
		if err != nil {
			return err
		}
		tm, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return errMalformedXML("%s: %q is not a timestamp", path, s)
		}
		v.Set(reflect.ValueOf(tm))
	case t.Kind() == reflect.Pointer:
		if v.IsNil() {
			v.Set(reflect.New(t.Elem()))
		}
		return n.decode(v.Elem(), path)
	case t.Kind() == reflect.Struct:
		return n.decodeStruct(v, path)
	case t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Uint8:
		s, err := leaf()
		if err != nil {
			return err
		}
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			return errMalformedXML("%s is not valid base64: %v", path, err)
		}
		v.SetBytes(b)
	case t.Kind() == reflect.Slice:
		if strings.TrimSpace(n.Text) != "" && len(n.Kids) == 0 {
			return errMalformedXML("%s holds text; expected a list of elements", path)
		}
		for _, k := range n.Kids {
			e := reflect.New(t.Elem()).Elem()
			if err := k.decode(e, path+"/"+k.Name); err != nil {
				return err
			}
			v.Set(reflect.Append(v, e))
		}
	case t.Kind() == reflect.Interface:
		// a union member: kept in the document, not checked further
	default:
		s, err := leaf()
		if err != nil {
			return err
		}
		return setScalar(v, s, path)
	}
	return nil
}

func (n *node) decodeStruct(v reflect.Value, path string) error {
	t := v.Type()
	if len(n.Kids) == 0 && strings.TrimSpace(n.Text) != "" {
		return errMalformedXML("%s holds text; expected elements", path)
	}
	seen := map[string]bool{}
	for _, k := range n.Kids {
		f, ok := t.FieldByName(k.Name)
		if !ok || !f.IsExported() || len(f.Index) != 1 {
			return errMalformedXML("unexpected element %s/%s: %s has no such member", path, k.Name, t.Name())
		}
		if seen[k.Name] {
			return errMalformedXML("element %s/%s appears twice", path, k.Name)
		}
		seen[k.Name] = true
		if err := k.decode(v.Field(f.Index[0]), path+"/"+k.Name); err != nil {
			return err
		}
	}
	q, items := v.FieldByName("Quantity"), v.FieldByName("Items")
	if !q.IsValid() || !items.IsValid() || items.Kind() != reflect.Slice {
		return nil
	}
	if q.Kind() != reflect.Pointer || q.IsNil() {
		return errMalformedXML("%s/Quantity is required", path)
	}
	if want := q.Elem().Int(); want != int64(items.Len()) {
		return errInconsistentQuantities(path, want, items.Len())
	}
	return nil
}

// setScalar parses s into a string, enum, boolean or integer.
func setScalar(v reflect.Value, s, path string) error {
	switch v.Kind() {
	case reflect.String:
		if vals := v.MethodByName("Values"); vals.IsValid() {
			allowed := vals.Call(nil)[0]
			var names []string
			for i := range allowed.Len() {
				names = append(names, allowed.Index(i).String())
			}
			if !slices.Contains(names, s) {
				return errMalformedXML("1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: "+
					"Member must satisfy enum value set: [%s]", s, path, strings.Join(names, ", "))
			}
		}
		v.SetString(s)
	case reflect.Bool:
		b, err := strconv.ParseBool(s)
		if err != nil || (s != "true" && s != "false") {
			return errMalformedXML("%s: %q is not true or false", path, s)
		}
		v.SetBool(b)
	case reflect.Int32, reflect.Int64, reflect.Int:
		i, err := strconv.ParseInt(s, 10, v.Type().Bits())
		if err != nil {
			return errMalformedXML("%s: %q is not an integer", path, s)
		}
		v.SetInt(i)
	case reflect.Float64, reflect.Float32:
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return errMalformedXML("%s: %q is not a number", path, s)
		}
		v.SetFloat(f)
	default:
		return errors.New("cloudfront: no XML decoding for " + v.Type().String())
	}
	return nil
}

// decodeInto parses a request document rooted at root into a new T.
func decodeInto[T any](r io.Reader, root string) (*T, *node, error) {
	n, err := parseXML(r, root)
	if err != nil {
		return nil, nil, err
	}
	v := new(T)
	if err := n.decode(reflect.ValueOf(v).Elem(), root); err != nil {
		return nil, nil, err
	}
	return v, n, nil
}
