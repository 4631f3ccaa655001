package cloudfront

import (
	"bytes"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/cloudfront/types"
)

// The other CloudFront resources a distribution names, as hashicorp/aws
// drives them (examples/complete): origin access controls and response
// headers policies (create, get, get config, update, delete, list), and
// the managed cache and origin request policies (get, get config, list),
// which are read-only. Shapes and errors: botocore service-2.json
// (OriginAccessControl*, ResponseHeadersPolicy*, CachePolicy*,
// OriginRequestPolicy*); the managed policies' ids and settings: the
// CloudFront Developer Guide pages "Use managed cache policies" and "Use
// managed origin request policies".

// policy is what an origin access control and a response headers policy
// keep: the configuration document as sent (with its defaults).
type policy struct {
	ID       string    `json:"id"`
	ETag     string    `json:"etag"`
	Modified time.Time `json:"modified"`
	Raw      *node     `json:"config"`
}

// keptPolicy is a kept policy with its configuration decoded.
type keptPolicy[C any] struct {
	policy
	cfg *C
}

type (
	originAccessControl   = keptPolicy[types.OriginAccessControlConfig]
	responseHeadersPolicy = keptPolicy[types.ResponseHeadersPolicyConfig]
)

// policyKind is what sets one kind of kept policy apart. Its methods are
// the one home of what every kind does alike: create with a unique name;
// get and get config; update and delete with If-Match, delete refusing
// while a distribution uses it; loading from the state file.
type policyKind[C any] struct {
	root     string // the document's root, as OriginAccessControl; its configuration's is root+"Config"
	path     string // the path below the API version, as origin-access-control
	noun     string // as origin access control, for errors
	article  string // the noun's indefinite article, capitalised
	usedIn   string // where a distribution names it, as origins
	withTime bool   // whether its documents carry LastModifiedTime
	newID    func() string
	kept     func(*Server) map[string]*keptPolicy[C]
	decode   func(*Server, *call) (*node, *C, error)
	name     func(*C) string
	usedBy   func(*types.DistributionConfig) []string
}

var oacKind = &policyKind[types.OriginAccessControlConfig]{
	root: "OriginAccessControl", path: "origin-access-control", noun: "origin access control", article: "An", usedIn: "origins", newID: newID,
	kept:   func(s *Server) map[string]*originAccessControl { return s.oacs },
	decode: (*Server).readOAC,
	name:   func(cfg *types.OriginAccessControlConfig) string { return deref(cfg.Name) },
	usedBy: oacIDs,
}

var rhpKind = &policyKind[types.ResponseHeadersPolicyConfig]{
	root: "ResponseHeadersPolicy", path: "response-headers-policy", noun: "response headers policy", article: "A", usedIn: "cache behaviors",
	withTime: true, newID: newRequestID,
	kept:   func(s *Server) map[string]*responseHeadersPolicy { return s.rhps },
	decode: (*Server).readRHP,
	name:   func(cfg *types.ResponseHeadersPolicyConfig) string { return deref(cfg.Name) },
	usedBy: rhpIDs,
}

// routes are the kind's routes; its Update call's path is k.path/{id}
// then updatePath, its List call's name List then plural.
func (k *policyKind[C]) routes(plural, updatePath string, list handlerFunc) []route {
	return []route{
		r("POST "+k.path, "Create"+k.root, k.create),
		r("GET "+k.path, "List"+plural, list),
		r("GET "+k.path+"/{id}", "Get"+k.root, k.get),
		r("GET "+k.path+"/{id}/config", "Get"+k.root+"Config", k.getConfig),
		r("PUT "+k.path+"/{id}"+updatePath, "Update"+k.root, k.update),
		r("DELETE "+k.path+"/{id}", "Delete"+k.root, k.delete),
	}
}

func (k *policyKind[C]) doc(p *keptPolicy[C]) []byte {
	return policyXML(k.root, &p.policy, k.withTime, true)
}

// find returns the policy id. s.mu must be held.
func (k *policyKind[C]) find(s *Server, id string) (*keptPolicy[C], error) {
	p := k.kept(s)[id]
	if p == nil {
		return nil, k.errNoSuch(id)
	}
	return p, nil
}

// named reports whether a policy other than self is named name. s.mu
// must be held.
func (k *policyKind[C]) named(s *Server, name, self string) bool {
	for _, p := range k.kept(s) {
		if p.ID != self && k.name(p.cfg) == name {
			return true
		}
	}
	return false
}

func (k *policyKind[C]) create(s *Server, c *call) error {
	n, cfg, err := k.decode(s, c)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if k.named(s, k.name(cfg), "") {
		return k.errExists(k.name(cfg))
	}
	p := &keptPolicy[C]{policy: policy{ID: k.newID(), ETag: newID(), Modified: s.now().UTC(), Raw: n}, cfg: cfg}
	k.kept(s)[p.ID] = p
	s.saveLocked()
	c.w.Header().Set("Location", s.Endpoint+"/"+APIVersion+"/"+k.path+"/"+p.ID)
	return c.replyRaw(http.StatusCreated, p.ETag, k.doc(p))
}

// read answers with body(the policy the path names).
func (k *policyKind[C]) read(s *Server, c *call, body func(*keptPolicy[C]) []byte) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	p, err := k.find(s, c.pathID())
	if err != nil {
		return err
	}
	return c.replyRaw(http.StatusOK, p.ETag, body(p))
}

func (k *policyKind[C]) get(s *Server, c *call) error {
	return k.read(s, c, k.doc)
}

func (k *policyKind[C]) getConfig(s *Server, c *call) error {
	return k.read(s, c, func(p *keptPolicy[C]) []byte { return configXML(p.Raw) })
}

// write runs change on the policy the path names once its ETag matches
// etag, under s.mu.
func (k *policyKind[C]) write(s *Server, c *call, etag string, change func(*keptPolicy[C]) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, err := k.find(s, c.pathID())
	if err == nil {
		err = checkETag(etag, p.ETag)
	}
	if err != nil {
		return err
	}
	return change(p)
}

func (k *policyKind[C]) update(s *Server, c *call) error {
	etag, err := c.ifMatch()
	if err != nil {
		return err
	}
	n, cfg, err := k.decode(s, c)
	if err != nil {
		return err
	}
	return k.write(s, c, etag, func(p *keptPolicy[C]) error {
		if k.named(s, k.name(cfg), p.ID) {
			return k.errExists(k.name(cfg))
		}
		p.Raw, p.cfg, p.ETag, p.Modified = n, cfg, newID(), s.now().UTC()
		s.saveLocked()
		return c.replyRaw(http.StatusOK, p.ETag, k.doc(p))
	})
}

func (k *policyKind[C]) delete(s *Server, c *call) error {
	etag, err := c.ifMatch()
	if err != nil {
		return err
	}
	return k.write(s, c, etag, func(p *keptPolicy[C]) error {
		if users := s.distsUsing(func(cfg *types.DistributionConfig) bool { return slices.Contains(k.usedBy(cfg), p.ID) }); len(users) > 0 {
			return k.errInUse(p.ID, users)
		}
		delete(k.kept(s), p.ID)
		s.saveLocked()
		c.w.WriteHeader(http.StatusNoContent)
		return nil
	})
}

// listXML renders a List call's answer, <root>List: Marker and IsTruncated
// where full (the lists that carry them), then NextMarker, MaxItems,
// Quantity and the n Items items writes.
func listXML(root string, full bool, marker, next string, maxItems, n int, items func(*bytes.Buffer)) []byte {
	var b bytes.Buffer
	b.WriteString(xmlHeader + "<" + root + `List xmlns="` + Namespace + `">`)
	if full {
		leaf(&b, "Marker", marker)
	}
	if next != "" {
		leaf(&b, "NextMarker", next)
	}
	leaf(&b, "MaxItems", fmt.Sprint(maxItems))
	if full {
		leaf(&b, "IsTruncated", fmt.Sprint(next != ""))
	}
	leaf(&b, "Quantity", fmt.Sprint(n))
	if n > 0 {
		b.WriteString("<Items>")
		items(&b)
		b.WriteString("</Items>")
	}
	b.WriteString("</" + root + "List>")
	return b.Bytes()
}

// idPage is the page of kept's sorted ids a List call asks for (its
// MaxItems and Marker). The lock guarding kept must be held.
func idPage[V any](c *call, kept map[string]V) (page []string, next string, maxItems int, err error) {
	q := c.r.URL.Query()
	if maxItems, err = parseMaxItems(q.Get("MaxItems")); err != nil {
		return nil, "", 0, err
	}
	page, next = paginate(slices.Sorted(maps.Keys(kept)), q.Get("Marker"), maxItems, func(id string) string { return id })
	return page, next, maxItems, nil
}

// listKept answers a List call that carries Marker and IsTruncated over
// kept, each <root>Summary's members written by summary. The lock
// guarding kept must be held.
func listKept[V any](c *call, root string, kept map[string]V, summary func(*bytes.Buffer, V)) error {
	page, next, maxItems, err := idPage(c, kept)
	if err != nil {
		return err
	}
	return c.replyRaw(http.StatusOK, "", listXML(root, true, c.r.URL.Query().Get("Marker"), next, maxItems, len(page), func(b *bytes.Buffer) {
		for _, id := range page {
			b.WriteString("<" + root + "Summary>")
			summary(b, kept[id])
			b.WriteString("</" + root + "Summary>")
		}
	}))
}

// listType is a List call's Type (managed, custom, or "" for both).
func listType(c *call) (string, error) {
	typ := c.r.URL.Query().Get("Type")
	if typ != "" && typ != "managed" && typ != "custom" {
		return "", errInvalidArgument("Type must be managed or custom, not %q", typ)
	}
	return typ, nil
}

// errNoSuch is the error for a policy of the kind root (the noun) that
// does not exist.
func errNoSuch(root, noun, id string) *apiError {
	return &apiError{Status: http.StatusNotFound, Code: "NoSuch" + root, Message: fmt.Sprintf("The %s %s does not exist.", noun, id)}
}

func (k *policyKind[C]) errNoSuch(id string) *apiError {
	return errNoSuch(k.root, k.noun, id)
}

func (k *policyKind[C]) errExists(name string) *apiError {
	return &apiError{Status: http.StatusConflict, Code: k.root + "AlreadyExists", Message: fmt.Sprintf("%s %s named %s already exists.", k.article, k.noun, name)}
}

func (k *policyKind[C]) errInUse(id string, users []string) *apiError {
	return &apiError{Status: http.StatusConflict, Code: k.root + "InUse", Message: fmt.Sprintf(
		"Cannot delete the %s %s: it is in use by distributions %v. Remove it from their %s first.", k.noun, id, users, k.usedIn)}
}

func errInvalidOAC(id string) *apiError {
	return &apiError{Status: http.StatusBadRequest, Code: "InvalidOriginAccessControl", Message: fmt.Sprintf(
		"The origin access control %s does not exist: create it first (CreateOriginAccessControl).", id)}
}

// policyXML renders root holding Id, LastModifiedTime (withTime) and the
// configuration, as the Get, Create and Update calls answer.
func policyXML(root string, p *policy, withTime, ns bool) []byte {
	var b bytes.Buffer
	if ns {
		b.WriteString(xmlHeader + "<" + root + ` xmlns="` + Namespace + `">`)
	} else {
		b.WriteString("<" + root + ">")
	}
	leaf(&b, "Id", p.ID)
	if withTime {
		leaf(&b, "LastModifiedTime", timestamp(p.Modified))
	}
	p.Raw.write(&b, false)
	b.WriteString("</" + root + ">")
	return b.Bytes()
}

func configXML(raw *node) []byte {
	var b bytes.Buffer
	b.WriteString(xmlHeader)
	raw.write(&b, true)
	return b.Bytes()
}

// pathID is the unescaped {id} of the path.
func (c *call) pathID() string {
	id, _ := url.PathUnescape(c.arg)
	return id
}

// --- origin access controls ---

func (s *Server) readOAC(c *call) (*node, *types.OriginAccessControlConfig, error) {
	cfg, n, err := decodeInto[types.OriginAccessControlConfig](c.r.Body, "OriginAccessControlConfig")
	if err != nil {
		return nil, nil, err
	}
	switch {
	case cfg.Name == nil || *cfg.Name == "":
		return nil, nil, required("OriginAccessControlConfig.Name")
	case cfg.SigningProtocol == "":
		return nil, nil, required("OriginAccessControlConfig.SigningProtocol")
	case cfg.SigningBehavior == "":
		return nil, nil, required("OriginAccessControlConfig.SigningBehavior")
	case cfg.OriginAccessControlOriginType == "":
		return nil, nil, required("OriginAccessControlConfig.OriginAccessControlOriginType")
	case len(*cfg.Name) > 64:
		return nil, nil, errInvalidArgument("the origin access control's name is %d characters; the limit is 64", len(*cfg.Name))
	}
	fillMembers([]member{{name: "Name"}, {name: "Description", def: "-"}, {name: "SigningProtocol"}, {name: "SigningBehavior"},
		{name: "OriginAccessControlOriginType"}})(n)
	return n, cfg, nil
}

func (s *Server) listOACs(c *call) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return listKept(c, "OriginAccessControl", s.oacs, func(b *bytes.Buffer, o *originAccessControl) {
		leaf(b, "Id", o.ID)
		for _, k := range o.Raw.Kids {
			k.write(b, false)
		}
	})
}

// oacIDs returns the origin access controls cfg's origins name.
func oacIDs(cfg *types.DistributionConfig) []string {
	var ids []string
	if cfg.Origins != nil {
		for _, o := range cfg.Origins.Items {
			if id := deref(o.OriginAccessControlId); id != "" {
				ids = append(ids, id)
			}
		}
	}
	return ids
}

// rhpIDs returns the response headers policies cfg's behaviors name.
func rhpIDs(cfg *types.DistributionConfig) []string {
	var ids []string
	if id := deref(cfg.DefaultCacheBehavior.ResponseHeadersPolicyId); id != "" {
		ids = append(ids, id)
	}
	if cfg.CacheBehaviors != nil {
		for _, b := range cfg.CacheBehaviors.Items {
			if id := deref(b.ResponseHeadersPolicyId); id != "" {
				ids = append(ids, id)
			}
		}
	}
	return ids
}

// distsUsing returns the ids of the distributions whose configuration
// uses something, sorted. s.mu must be held.
func (s *Server) distsUsing(uses func(*types.DistributionConfig) bool) []string {
	var ids []string
	for _, id := range slices.Sorted(maps.Keys(s.dists)) {
		if uses(s.dists[id].cfg) {
			ids = append(ids, id)
		}
	}
	return ids
}

// checkPolicyRefs checks that the origin access controls and response
// headers policies cfg names exist, as CloudFront does. s.mu must be
// held.
func (s *Server) checkPolicyRefs(cfg *types.DistributionConfig) error {
	for _, id := range oacIDs(cfg) {
		if s.oacs[id] == nil {
			return errInvalidOAC(id)
		}
	}
	for _, id := range rhpIDs(cfg) {
		if s.rhps[id] == nil {
			return rhpKind.errNoSuch(id)
		}
	}
	return nil
}

// --- response headers policies ---

func (s *Server) readRHP(c *call) (*node, *types.ResponseHeadersPolicyConfig, error) {
	cfg, n, err := decodeInto[types.ResponseHeadersPolicyConfig](c.r.Body, "ResponseHeadersPolicyConfig")
	if err != nil {
		return nil, nil, err
	}
	if cfg.Name == nil || *cfg.Name == "" {
		return nil, nil, required("ResponseHeadersPolicyConfig.Name")
	}
	if cors := cfg.CorsConfig; cors != nil {
		switch {
		case cors.AccessControlAllowOrigins == nil:
			return nil, nil, required("ResponseHeadersPolicyConfig.CorsConfig.AccessControlAllowOrigins")
		case cors.AccessControlAllowHeaders == nil:
			return nil, nil, required("ResponseHeadersPolicyConfig.CorsConfig.AccessControlAllowHeaders")
		case cors.AccessControlAllowMethods == nil:
			return nil, nil, required("ResponseHeadersPolicyConfig.CorsConfig.AccessControlAllowMethods")
		case cors.AccessControlAllowCredentials == nil:
			return nil, nil, required("ResponseHeadersPolicyConfig.CorsConfig.AccessControlAllowCredentials")
		case cors.OriginOverride == nil:
			return nil, nil, required("ResponseHeadersPolicyConfig.CorsConfig.OriginOverride")
		case *cors.AccessControlAllowCredentials && slices.Contains(cors.AccessControlAllowOrigins.Items, "*"):
			return nil, nil, errInvalidArgument("CorsConfig: AccessControlAllowCredentials true cannot be used with the origin *")
		}
	}
	return n, cfg, nil
}

func (s *Server) listRHPs(c *call) error {
	typ, err := listType(c)
	if err != nil {
		return err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	kept := s.rhps
	if typ == "managed" { // no managed response headers policy is kept here
		kept = nil
	}
	page, next, maxItems, err := idPage(c, kept)
	if err != nil {
		return err
	}
	return c.replyRaw(http.StatusOK, "", listXML("ResponseHeadersPolicy", false, "", next, maxItems, len(page), func(b *bytes.Buffer) {
		for _, id := range page {
			b.WriteString("<ResponseHeadersPolicySummary><Type>custom</Type>")
			b.Write(policyXML("ResponseHeadersPolicy", &s.rhps[id].policy, true, false))
			b.WriteString("</ResponseHeadersPolicySummary>")
		}
	}))
}

// --- managed cache and origin request policies ---

// managedPolicy is a managed cache or origin request policy: its id and
// its configuration document (CachePolicyConfig or
// OriginRequestPolicyConfig).
type managedPolicy struct {
	id, config string
}

// managedModified is the LastModifiedTime the managed policies report.
var managedModified = time.Date(2020, 7, 1, 0, 0, 0, 0, time.UTC)

const (
	none3 = "<HeadersConfig><HeaderBehavior>none</HeaderBehavior></HeadersConfig>" +
		"<CookiesConfig><CookieBehavior>none</CookieBehavior></CookiesConfig>" +
		"<QueryStringsConfig><QueryStringBehavior>none</QueryStringBehavior></QueryStringsConfig>"
)

// managedCachePolicies are the managed cache policies
// examples/complete and the project's tests name, with the settings the
// Developer Guide gives them.
var managedCachePolicies = []managedPolicy{
	{"658327ea-f89d-4fab-a63d-7e88639e58f6", "<Comment>Policy with caching enabled. Supports Gzip and Brotli compression.</Comment>" +
		"<Name>Managed-CachingOptimized</Name><DefaultTTL>86400</DefaultTTL><MaxTTL>31536000</MaxTTL><MinTTL>1</MinTTL>" +
		"<ParametersInCacheKeyAndForwardedToOrigin><EnableAcceptEncodingGzip>true</EnableAcceptEncodingGzip>" +
		"<EnableAcceptEncodingBrotli>true</EnableAcceptEncodingBrotli>" + none3 + "</ParametersInCacheKeyAndForwardedToOrigin>"},
	{"4135ea2d-6df8-44a3-9df3-4b5a84be39ad", "<Comment>Policy with caching disabled</Comment>" +
		"<Name>Managed-CachingDisabled</Name><DefaultTTL>0</DefaultTTL><MaxTTL>0</MaxTTL><MinTTL>0</MinTTL>" +
		"<ParametersInCacheKeyAndForwardedToOrigin><EnableAcceptEncodingGzip>false</EnableAcceptEncodingGzip>" +
		"<EnableAcceptEncodingBrotli>false</EnableAcceptEncodingBrotli>" + none3 + "</ParametersInCacheKeyAndForwardedToOrigin>"},
	{"b2884449-e4de-46a7-ac36-70bc7f1ddd6d", "<Comment>Default policy when compression is disabled</Comment>" +
		"<Name>Managed-CachingOptimizedForUncompressedObjects</Name><DefaultTTL>86400</DefaultTTL><MaxTTL>31536000</MaxTTL><MinTTL>1</MinTTL>" +
		"<ParametersInCacheKeyAndForwardedToOrigin><EnableAcceptEncodingGzip>false</EnableAcceptEncodingGzip>" +
		"<EnableAcceptEncodingBrotli>false</EnableAcceptEncodingBrotli>" + none3 + "</ParametersInCacheKeyAndForwardedToOrigin>"},
}

// managedOriginRequestPolicies are the managed origin request policies
// examples/complete names, and the usual others.
var managedOriginRequestPolicies = []managedPolicy{
	{"88a5eaf4-2fd4-4709-b370-b4c650ea3fcf", "<Comment>Policy for origin request to S3 with CORS</Comment><Name>Managed-CORS-S3Origin</Name>" +
		"<HeadersConfig><HeaderBehavior>whitelist</HeaderBehavior><Headers><Quantity>3</Quantity><Items>" +
		"<Name>origin</Name><Name>access-control-request-headers</Name><Name>access-control-request-method</Name></Items></Headers></HeadersConfig>" +
		"<CookiesConfig><CookieBehavior>none</CookieBehavior></CookiesConfig><QueryStringsConfig><QueryStringBehavior>none</QueryStringBehavior></QueryStringsConfig>"},
	{"59781a5b-3903-41f3-afcb-af62929ccde1", "<Comment>Policy for origin request with CORS</Comment><Name>Managed-CORS-CustomOrigin</Name>" +
		"<HeadersConfig><HeaderBehavior>whitelist</HeaderBehavior><Headers><Quantity>1</Quantity><Items><Name>origin</Name></Items></Headers></HeadersConfig>" +
		"<CookiesConfig><CookieBehavior>none</CookieBehavior></CookiesConfig><QueryStringsConfig><QueryStringBehavior>none</QueryStringBehavior></QueryStringsConfig>"},
	{"216adef6-5c7f-47e4-b989-5492eafa07d3", "<Comment>Policy to forward all parameters in viewer requests</Comment><Name>Managed-AllViewer</Name>" +
		"<HeadersConfig><HeaderBehavior>allViewer</HeaderBehavior></HeadersConfig>" +
		"<CookiesConfig><CookieBehavior>all</CookieBehavior></CookiesConfig><QueryStringsConfig><QueryStringBehavior>all</QueryStringBehavior></QueryStringsConfig>"},
}

// managedXML renders a managed policy as root (CachePolicy or
// OriginRequestPolicy) or, config true, its configuration alone.
func managedXML(root string, p managedPolicy, config, ns bool) []byte {
	var b bytes.Buffer
	attr := ""
	if ns {
		b.WriteString(xmlHeader)
		attr = ` xmlns="` + Namespace + `"`
	}
	if config {
		b.WriteString("<" + root + "Config" + attr + ">" + p.config + "</" + root + "Config>")
		return b.Bytes()
	}
	b.WriteString("<" + root + attr + ">")
	leaf(&b, "Id", p.id)
	leaf(&b, "LastModifiedTime", timestamp(managedModified))
	b.WriteString("<" + root + "Config>" + p.config + "</" + root + "Config>")
	b.WriteString("</" + root + ">")
	return b.Bytes()
}

// getManaged answers Get<root> (config false) or Get<root>Config.
func getManaged(c *call, root string, ps []managedPolicy, config bool, notFound func(string) *apiError) error {
	for _, p := range ps {
		if p.id == c.pathID() {
			return c.replyRaw(http.StatusOK, managedETag(p.id), managedXML(root, p, config, true))
		}
	}
	return notFound(c.pathID())
}

// managedETag is a managed policy's fixed ETag.
func managedETag(id string) string {
	var b []byte
	for i := 0; len(b) < 13; i++ {
		ch := id[i%len(id)]
		if ch != '-' {
			b = append(b, alnum[int(ch)%len(alnum)])
		}
	}
	return "E" + string(b)
}

// listManaged answers List<root>s: the managed policies (none is custom
// here), by Type (managed, custom, or both).
func listManaged(c *call, root string, ps []managedPolicy) error {
	typ, err := listType(c)
	if err != nil {
		return err
	}
	q := c.r.URL.Query()
	maxItems, err := parseMaxItems(q.Get("MaxItems"))
	if err != nil {
		return err
	}
	var rows []managedPolicy
	if typ != "custom" {
		rows = slices.SortedFunc(slices.Values(ps), func(a, b managedPolicy) int { return strings.Compare(a.id, b.id) })
	}
	page, next := paginate(rows, q.Get("Marker"), maxItems, func(p managedPolicy) string { return p.id })
	return c.replyRaw(http.StatusOK, "", listXML(root, false, "", next, maxItems, len(page), func(b *bytes.Buffer) {
		for _, p := range page {
			b.WriteString("<" + root + "Summary><Type>managed</Type>")
			b.Write(managedXML(root, p, false, false))
			b.WriteString("</" + root + "Summary>")
		}
	}))
}

// managedKind is one kind of managed policy: its document's root, its
// noun, its path below the API version and its List call's plural.
type managedKind struct {
	root, noun, path, plural string
	ps                       []managedPolicy
}

var managedKinds = []managedKind{
	{"CachePolicy", "cache policy", "cache-policy", "CachePolicies", managedCachePolicies},
	{"OriginRequestPolicy", "origin request policy", "origin-request-policy", "OriginRequestPolicies", managedOriginRequestPolicies},
}

// managedRoutes are the managed policies' routes: List, Get and Get
// config of each kind.
func managedRoutes() []route {
	var rs []route
	for _, m := range managedKinds {
		get := func(config bool) handlerFunc {
			return func(_ *Server, c *call) error {
				return getManaged(c, m.root, m.ps, config, func(id string) *apiError { return errNoSuch(m.root, m.noun, id) })
			}
		}
		rs = append(rs,
			r("GET "+m.path, "List"+m.plural, func(_ *Server, c *call) error { return listManaged(c, m.root, m.ps) }),
			r("GET "+m.path+"/{id}", "Get"+m.root, get(false)),
			r("GET "+m.path+"/{id}/config", "Get"+m.root+"Config", get(true)))
	}
	return rs
}
