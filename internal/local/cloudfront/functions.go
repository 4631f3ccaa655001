package cloudfront

import (
	"bytes"
	"encoding/xml"
	"maps"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/cloudfront/types"

	"github.com/securestream/terraform-provider-securestream/internal/cflimits"
	"github.com/securestream/terraform-provider-securestream/internal/cfruntime"
)

// Function stages.
const (
	stageDev  = "DEVELOPMENT"
	stageLive = "LIVE"
)

// maxEventObject is TestFunction's bound on the event (EventObject).
const maxEventObject = 40960

// function is a CloudFront Function: its DEVELOPMENT stage and, once
// published, its LIVE stage.
type function struct {
	Name    string    `json:"name"`
	ARN     string    `json:"arn"`
	Created time.Time `json:"created"`
	Dev     *stage    `json:"dev"`
	Live    *stage    `json:"live,omitempty"`
	// Earlier are LIVE stages that edge locations may still run (see
	// propagation.go), oldest first.
	Earlier []*stage `json:"earlier,omitempty"`
	// Tags are the function's tags (tags.go).
	Tags map[string]string `json:"tags,omitempty"`
}

// stage is one stage of a function.
type stage struct {
	Comment  string    `json:"comment"`
	Runtime  string    `json:"runtime"`
	KVS      []string  `json:"kvs,omitempty"`
	Code     []byte    `json:"code"`
	ETag     string    `json:"etag"`
	Modified time.Time `json:"modified"`
	// Published is the DEVELOPMENT ETag last published (Config.LenientPublish).
	Published string `json:"published,omitempty"`

	compileOnce sync.Once
	compiled    *cfruntime.Function
	compileErr  error
}

// compile compiles the stage's code once. Code that does not compile is
// accepted by the API, as at AWS, and fails every run.
func (st *stage) compile(name string) (*cfruntime.Function, error) {
	st.compileOnce.Do(func() {
		st.compiled, st.compileErr = cfruntime.Compile(name, st.Code, cfruntime.Runtime(st.Runtime))
	})
	return st.compiled, st.compileErr
}

// Request documents, shaped like the SDK's types so that decode checks them.
type createFunctionRequest struct {
	Name           *string
	FunctionConfig *types.FunctionConfig
	FunctionCode   []byte
	Tags           *types.Tags
}

type updateFunctionRequest struct {
	FunctionConfig *types.FunctionConfig
	FunctionCode   []byte
}

type testFunctionRequest struct {
	Stage       types.FunctionStage
	EventObject []byte
}

var nameRE = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,64}$`)

func (s *Server) functionARN(name string) string {
	return "arn:aws:cloudfront::" + s.cfg.AccountID + ":function/" + name
}

// newStage checks a function's configuration and code as CloudFront does
// at create and update. It does not compile the code.
func newStage(cfg *types.FunctionConfig, code []byte) (*stage, error) {
	if cfg == nil || cfg.Comment == nil || cfg.Runtime == "" {
		return nil, errMalformedXML("FunctionConfig with Comment and Runtime is required")
	}
	if len(*cfg.Comment) > 128 {
		return nil, errInvalidArgument("the comment is %d characters; the limit is 128", len(*cfg.Comment))
	}
	if len(code) == 0 {
		return nil, errInvalidArgument("FunctionCode is required and must not be empty")
	}
	if len(code) > cflimits.FunctionCodeSize {
		return nil, errFunctionSizeLimitExceeded(len(code), cflimits.FunctionCodeSize)
	}
	st := &stage{Comment: *cfg.Comment, Runtime: string(cfg.Runtime), Code: code, ETag: newID(), Modified: time.Now().UTC()}
	if a := cfg.KeyValueStoreAssociations; a != nil {
		if len(a.Items) > 1 {
			return nil, errInvalidArgument("a function can be associated with one key value store, not %d", len(a.Items))
		}
		if len(a.Items) > 0 && cfg.Runtime == types.FunctionRuntimeCloudfrontJs10 {
			return nil, errInvalidArgument("key value stores need the cloudfront-js-2.0 runtime")
		}
		for _, kv := range a.Items {
			if kv.KeyValueStoreARN != nil {
				st.KVS = append(st.KVS, *kv.KeyValueStoreARN)
			}
		}
	}
	return st, nil
}

func (s *Server) createFunction(c *call) error {
	req, _, err := decodeInto[createFunctionRequest](c.r.Body, "CreateFunctionRequest")
	if err != nil {
		return err
	}
	if req.Name == nil || !nameRE.MatchString(*req.Name) {
		return errInvalidArgument("the function name must match [a-zA-Z0-9-_]{1,64}")
	}
	st, err := newStage(req.FunctionConfig, req.FunctionCode)
	if err != nil {
		return err
	}
	tags, err := checkTags(req.Tags)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	name := *req.Name
	if s.functions[name] != nil {
		return errFunctionAlreadyExists(name)
	}
	if len(s.functions) >= s.cfg.MaxFunctions {
		return errTooManyFunctions(s.cfg.MaxFunctions)
	}
	if err := s.checkKVSAssociations(st); err != nil {
		return err
	}
	f := &function{Name: name, ARN: s.functionARN(name), Created: st.Modified, Dev: st}
	if len(tags) > 0 {
		f.Tags = tags
	}
	s.functions[name] = f
	s.saveLocked()
	c.w.Header().Set("Location", s.Endpoint+"/"+APIVersion+"/function/"+f.ARN)
	return c.reply(http.StatusCreated, st.ETag, s.summary(f, stageDev).root())
}

// lookup returns the function named in the path and the stage asked for
// (DEVELOPMENT by default). s.mu must be held.
func (s *Server) lookup(c *call, stageName string) (*function, *stage, error) {
	name, _ := url.PathUnescape(c.arg)
	f := s.functions[name]
	if f == nil {
		return nil, nil, errNoSuchFunction(name)
	}
	switch stageName {
	case "", stageDev:
		return f, f.Dev, nil
	case stageLive:
		if f.Live == nil {
			return nil, nil, errNoLiveStage(name)
		}
		return f, f.Live, nil
	}
	return nil, nil, errInvalidArgument("Stage must be DEVELOPMENT or LIVE, not %q", stageName)
}

// writeDev runs write, under s.mu held for writing, on the function
// named in the path and its DEVELOPMENT stage once check (if any) passes
// and etag is that stage's ETag, the order in which CloudFront checks a
// write.
func (s *Server) writeDev(c *call, etag string, check func(*function) error, write func(*function, *stage) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	f, dev, err := s.lookup(c, stageDev)
	if err == nil && check != nil {
		err = check(f)
	}
	if err == nil {
		err = checkETag(etag, dev.ETag)
	}
	if err != nil {
		return err
	}
	return write(f, dev)
}

// readStage runs read, under s.mu held for reading, on the function
// named in the path and the stage the query asks for.
func (s *Server) readStage(c *call, read func(*function, *stage) error) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	f, st, err := s.lookup(c, c.r.URL.Query().Get("Stage"))
	if err != nil {
		return err
	}
	return read(f, st)
}

func (s *Server) describeFunction(c *call) error {
	return s.readStage(c, func(f *function, st *stage) error {
		return c.reply(http.StatusOK, st.ETag, s.summary(f, stageOf(f, st)).root())
	})
}

func (s *Server) getFunction(c *call) error {
	return s.readStage(c, func(_ *function, st *stage) error {
		h := c.w.Header()
		h.Set("ETag", st.ETag)
		h.Set("Content-Type", "application/octet-stream")
		h.Set("Content-Length", strconv.Itoa(len(st.Code)))
		c.w.WriteHeader(http.StatusOK)
		_, _ = c.w.Write(st.Code)
		return nil
	})
}

func (s *Server) updateFunction(c *call) error {
	etag, req, err := ifMatchBody[updateFunctionRequest](c, "UpdateFunctionRequest")
	if err != nil {
		return err
	}
	st, err := newStage(req.FunctionConfig, req.FunctionCode)
	if err != nil {
		return err
	}
	stores := func(*function) error { return s.checkKVSAssociations(st) }
	return s.writeDev(c, etag, stores, func(f *function, dev *stage) error {
		st.Published = dev.Published
		f.Dev = st
		s.saveLocked()
		// The SDK reads UpdateFunction's ETag from a header named ETtag.
		c.w.Header()["ETtag"] = []string{st.ETag}
		return c.reply(http.StatusOK, st.ETag, s.summary(f, stageDev).root())
	})
}

func (s *Server) publishFunction(c *call) error {
	etag, err := c.ifMatch()
	if err != nil {
		return err
	}
	return s.writeDev(c, etag, nil, func(f *function, dev *stage) error {
		if !s.cfg.LenientPublish && dev.Published == dev.ETag {
			return errPreconditionFailed()
		}
		dev.Published = dev.ETag
		live := &stage{Comment: dev.Comment, Runtime: dev.Runtime, KVS: dev.KVS, Code: dev.Code, ETag: newID(), Modified: s.now().UTC()}
		s.publishLive(f, live)
		// Publishing redeploys every distribution that uses the function,
		// which changes their ETags.
		for _, d := range s.dists {
			if slices.Contains(d.functionARNs(), f.ARN) {
				s.redeploy(d)
			}
		}
		s.saveLocked()
		return c.reply(http.StatusOK, "", s.summary(f, stageLive).root())
	})
}

func (s *Server) testFunction(c *call) error {
	etag, req, err := ifMatchBody[testFunctionRequest](c, "TestFunctionRequest")
	if err != nil {
		return err
	}
	if len(req.EventObject) > maxEventObject {
		return errInvalidArgument("EventObject is %d bytes; the limit is %d", len(req.EventObject), maxEventObject)
	}
	s.mu.RLock()
	f, st, err := s.lookup(c, string(req.Stage))
	if err == nil {
		err = checkETag(etag, st.ETag)
	}
	var summary functionSummary
	opts := s.runOptions()
	if err == nil {
		summary = s.summary(f, stageOf(f, st))
		// TestFunction reads the associated store as it is now.
		opts.KVS = s.kvsFor(st.KVS, s.now())
	}
	s.mu.RUnlock()
	if err != nil {
		return err
	}
	out := testResult{Xmlns: Namespace, FunctionSummary: summary, ComputeUtilization: "0"}
	fn, cerr := st.compile(f.Name)
	if cerr != nil && strings.HasPrefix(cerr.Error(), "InternalError") {
		// What made AWS's own test harness fail (a byte order mark,
		// aws-cdk #21643) is TestFunctionFailed, not a result.
		return errTestFunctionFailed(cerr)
	}
	if cerr != nil {
		out.FunctionErrorMessage = cerr.Error()
	} else {
		res := fn.RunJSON(req.EventObject, opts)
		tr := fn.TestResult(res)
		out.ComputeUtilization = tr.ComputeUtilization
		out.FunctionExecutionLogs = tr.FunctionExecutionLogs
		out.FunctionErrorMessage = tr.FunctionErrorMessage
		out.FunctionOutput = tr.FunctionOutput
	}
	return c.reply(http.StatusOK, "", out)
}

func (s *Server) deleteFunction(c *call) error {
	etag, err := c.ifMatch()
	if err != nil {
		return err
	}
	inUse := func(f *function) error {
		// In use too while the edge may still run it for a distribution
		// that dropped it (propagation).
		if users := s.runners(f.ARN); len(users) > 0 {
			return errFunctionInUse(f.Name, users)
		}
		return nil
	}
	return s.writeDev(c, etag, inUse, func(f *function, _ *stage) error {
		delete(s.functions, f.Name)
		s.saveLocked()
		c.w.WriteHeader(http.StatusNoContent)
		return nil
	})
}

func (s *Server) listFunctions(c *call) error {
	q := c.r.URL.Query()
	stageFilter := q.Get("Stage")
	if stageFilter != "" && stageFilter != stageDev && stageFilter != stageLive {
		return errInvalidArgument("Stage must be DEVELOPMENT or LIVE, not %q", stageFilter)
	}
	maxItems, err := parseMaxItems(q.Get("MaxItems"))
	if err != nil {
		return err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	var rows []functionSummary
	for _, name := range slices.Sorted(maps.Keys(s.functions)) {
		f := s.functions[name]
		if stageFilter != stageLive {
			rows = append(rows, s.summary(f, stageDev))
		}
		if stageFilter != stageDev && f.Live != nil {
			rows = append(rows, s.summary(f, stageLive))
		}
	}
	page, next := paginate(rows, q.Get("Marker"), maxItems, func(r functionSummary) string {
		// A space sorts before every character a name may hold, so
		// markers sort as the rows do.
		return r.Name + " " + r.FunctionMetadata.Stage
	})
	list := functionList{Xmlns: Namespace, NextMarker: next, MaxItems: maxItems, Quantity: len(page)}
	if len(page) > 0 {
		list.Items = &functionItems{page}
	}
	return c.reply(http.StatusOK, "", list)
}

// usersOf returns the ids of the distributions that use the function
// arn, sorted. s.mu must be held.
func (s *Server) usersOf(arn string) []string {
	var ids []string
	for _, id := range slices.Sorted(maps.Keys(s.dists)) {
		if slices.Contains(s.dists[id].functionARNs(), arn) {
			ids = append(ids, id)
		}
	}
	return ids
}

func stageOf(f *function, st *stage) string {
	if st == f.Live {
		return stageLive
	}
	return stageDev
}

// summary is FunctionSummary for a stage. s.mu must be held.
func (s *Server) summary(f *function, stageName string) functionSummary {
	st := f.Dev
	status := "UNPUBLISHED"
	if stageName == stageLive {
		st = f.Live
	}
	if stageName == stageLive || st.Published == st.ETag {
		status = "UNASSOCIATED"
		if len(s.usersOf(f.ARN)) > 0 {
			status = "DEPLOYED"
		}
	}
	fs := functionSummary{Name: f.Name, Status: status,
		FunctionConfig: functionConfig{Comment: st.Comment, Runtime: st.Runtime},
		FunctionMetadata: functionMetadata{FunctionARN: f.ARN, Stage: stageName,
			CreatedTime: timestamp(f.Created), LastModifiedTime: timestamp(st.Modified)}}
	if len(st.KVS) > 0 {
		fs.FunctionConfig.KVS = &kvsAssociations{Quantity: len(st.KVS), ARNs: st.KVS}
	}
	return fs
}

// root returns fs as a document's root element.
func (fs functionSummary) root() functionSummary {
	fs.Xmlns = Namespace
	return fs
}

// reply writes v as the XML body, with etag.
func (c *call) reply(status int, etag string, v any) error {
	var b bytes.Buffer
	b.WriteString(xml.Header)
	if err := xml.NewEncoder(&b).Encode(v); err != nil {
		return err
	}
	return c.replyRaw(status, etag, b.Bytes())
}

// replyRaw writes an XML body, with etag.
func (c *call) replyRaw(status int, etag string, body []byte) error {
	h := c.w.Header()
	if etag != "" {
		h.Set("ETag", etag)
	}
	h.Set("Content-Type", "text/xml")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	c.w.WriteHeader(status)
	_, _ = c.w.Write(body)
	return nil
}

func parseMaxItems(s string) (int, error) {
	if s == "" {
		return 100, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > 1000 {
		return 0, errInvalidArgument("MaxItems must be a whole number from 1 to 1000, not %q", s)
	}
	return n, nil
}

// paginate returns up to limit rows from the one whose key is marker, and
// the key of the row after them (the next marker), if any.
func paginate[T any](rows []T, marker string, limit int, key func(T) string) ([]T, string) {
	start := 0
	if marker != "" {
		start = len(rows)
		for i, r := range rows {
			if key(r) >= marker {
				start = i
				break
			}
		}
	}
	rows = rows[start:]
	if len(rows) <= limit {
		return rows, ""
	}
	return rows[:limit], key(rows[limit])
}

// XML documents the function operations answer with.
type (
	functionSummary struct {
		XMLName          xml.Name `xml:"FunctionSummary"`
		Xmlns            string   `xml:"xmlns,attr,omitempty"`
		Name             string
		Status           string
		FunctionConfig   functionConfig
		FunctionMetadata functionMetadata
	}
	functionConfig struct {
		Comment string
		Runtime string
		KVS     *kvsAssociations `xml:"KeyValueStoreAssociations,omitempty"`
	}
	kvsAssociations struct {
		Quantity int
		ARNs     []string `xml:"Items>KeyValueStoreAssociation>KeyValueStoreARN"`
	}
	functionMetadata struct {
		FunctionARN      string
		Stage            string
		CreatedTime      string
		LastModifiedTime string
	}
	functionList struct {
		XMLName    xml.Name `xml:"FunctionList"`
		Xmlns      string   `xml:"xmlns,attr"`
		NextMarker string   `xml:",omitempty"`
		MaxItems   int
		Quantity   int
		Items      *functionItems `xml:",omitempty"`
	}
	// functionItems is a list's Items, left out when the list is empty.
	functionItems struct {
		Summaries []functionSummary `xml:"FunctionSummary"`
	}
	testResult struct {
		XMLName               xml.Name `xml:"TestResult"`
		Xmlns                 string   `xml:"xmlns,attr"`
		FunctionSummary       functionSummary
		ComputeUtilization    string
		FunctionExecutionLogs []string `xml:"FunctionExecutionLogs>member"`
		FunctionErrorMessage  string
		FunctionOutput        string
	}
)
