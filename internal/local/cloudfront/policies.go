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

type originAccessControl struct {
	policy
	cfg *types.OriginAccessControlConfig
}

type responseHeadersPolicy struct {
	policy
	cfg *types.ResponseHeadersPolicyConfig
}

func errNoSuchOAC(id string) *apiError {
	return &apiError{Status: http.StatusNotFound, Code: "NoSuchOriginAccessControl", Message: fmt.Sprintf("The origin access control %s does not exist.", id)}
}

func errOACExists(name string) *apiError {
	return &apiError{Status: http.StatusConflict, Code: "OriginAccessControlAlreadyExists", Message: fmt.Sprintf("An origin access control named %s already exists.", name)}
}

func errOACInUse(id string, users []string) *apiError {
	return &apiError{Status: http.StatusConflict, Code: "OriginAccessControlInUse", Message: fmt.Sprintf(
		"Cannot delete the origin access control %s: it is in use by distributions %v. Remove it from their origins first.", id, users)}
}

func errNoSuchRHP(id string) *apiError {
	return &apiError{Status: http.StatusNotFound, Code: "NoSuchResponseHeadersPolicy", Message: fmt.Sprintf("The response headers policy %s does not exist.", id)}
}

func errRHPExists(name string) *apiError {
	return &apiError{Status: http.StatusConflict, Code: "ResponseHeadersPolicyAlreadyExists", Message: fmt.Sprintf("A response headers policy named %s already exists.", name)}
}

func errRHPInUse(id string, users []string) *apiError {
	return &apiError{Status: http.StatusConflict, Code: "ResponseHeadersPolicyInUse", Message: fmt.Sprintf(
		"Cannot delete the response headers policy %s: it is in use by distributions %v. Remove it from their cache behaviors first.", id, users)}
}

func errNoSuchCachePolicy(id string) *apiError {
	return &apiError{Status: http.StatusNotFound, Code: "NoSuchCachePolicy", Message: fmt.Sprintf("The cache policy %s does not exist.", id)}
}

func errNoSuchOriginRequestPolicy(id string) *apiError {
	return &apiError{Status: http.StatusNotFound, Code: "NoSuchOriginRequestPolicy", Message: fmt.Sprintf("The origin request policy %s does not exist.", id)}
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

// oacNamed returns the origin access control named name other than self.
// s.mu must be held.
func (s *Server) oacNamed(name, self string) *originAccessControl {
	for _, o := range s.oacs {
		if o.ID != self && deref(o.cfg.Name) == name {
			return o
		}
	}
	return nil
}

func (s *Server) oac(c *call) (*originAccessControl, error) {
	o := s.oacs[c.pathID()]
	if o == nil {
		return nil, errNoSuchOAC(c.pathID())
	}
	return o, nil
}

func (s *Server) createOAC(c *call) error {
	n, cfg, err := s.readOAC(c)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.oacNamed(*cfg.Name, "") != nil {
		return errOACExists(*cfg.Name)
	}
	o := &originAccessControl{policy: policy{ID: newID(), ETag: newID(), Modified: s.now().UTC(), Raw: n}, cfg: cfg}
	s.oacs[o.ID] = o
	s.saveLocked()
	c.w.Header().Set("Location", s.Endpoint+"/"+APIVersion+"/origin-access-control/"+o.ID)
	return c.replyRaw(http.StatusCreated, o.ETag, policyXML("OriginAccessControl", &o.policy, false, true))
}

func (s *Server) getOAC(c *call) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	o, err := s.oac(c)
	if err != nil {
		return err
	}
	return c.replyRaw(http.StatusOK, o.ETag, policyXML("OriginAccessControl", &o.policy, false, true))
}

func (s *Server) getOACConfig(c *call) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	o, err := s.oac(c)
	if err != nil {
		return err
	}
	return c.replyRaw(http.StatusOK, o.ETag, configXML(o.Raw))
}

func (s *Server) updateOAC(c *call) error {
	etag, err := c.ifMatch()
	if err != nil {
		return err
	}
	n, cfg, err := s.readOAC(c)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	o, err := s.oac(c)
	if err == nil {
		err = checkETag(etag, o.ETag)
	}
	if err != nil {
		return err
	}
	if s.oacNamed(*cfg.Name, o.ID) != nil {
		return errOACExists(*cfg.Name)
	}
	o.Raw, o.cfg, o.ETag, o.Modified = n, cfg, newID(), s.now().UTC()
	s.saveLocked()
	return c.replyRaw(http.StatusOK, o.ETag, policyXML("OriginAccessControl", &o.policy, false, true))
}

func (s *Server) deleteOAC(c *call) error {
	etag, err := c.ifMatch()
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	o, err := s.oac(c)
	if err == nil {
		err = checkETag(etag, o.ETag)
	}
	if err != nil {
		return err
	}
	if users := s.distsUsing(func(cfg *types.DistributionConfig) bool { return slices.Contains(oacIDs(cfg), o.ID) }); len(users) > 0 {
		return errOACInUse(o.ID, users)
	}
	delete(s.oacs, o.ID)
	s.saveLocked()
	c.w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) listOACs(c *call) error {
	q := c.r.URL.Query()
	maxItems, err := parseMaxItems(q.Get("MaxItems"))
	if err != nil {
		return err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	page, next := paginate(slices.Sorted(maps.Keys(s.oacs)), q.Get("Marker"), maxItems, func(id string) string { return id })
	var b bytes.Buffer
	b.WriteString(xmlHeader + `<OriginAccessControlList xmlns="` + Namespace + `">`)
	leaf(&b, "Marker", q.Get("Marker"))
	if next != "" {
		leaf(&b, "NextMarker", next)
	}
	leaf(&b, "MaxItems", fmt.Sprint(maxItems))
	leaf(&b, "IsTruncated", fmt.Sprint(next != ""))
	leaf(&b, "Quantity", fmt.Sprint(len(page)))
	if len(page) > 0 {
		b.WriteString("<Items>")
		for _, id := range page {
			o := s.oacs[id]
			b.WriteString("<OriginAccessControlSummary>")
			leaf(&b, "Id", o.ID)
			for _, k := range o.Raw.Kids {
				k.write(&b, false)
			}
			b.WriteString("</OriginAccessControlSummary>")
		}
		b.WriteString("</Items>")
	}
	b.WriteString("</OriginAccessControlList>")
	return c.replyRaw(http.StatusOK, "", b.Bytes())
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
			return errNoSuchRHP(id)
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

func (s *Server) rhp(c *call) (*responseHeadersPolicy, error) {
	p := s.rhps[c.pathID()]
	if p == nil {
		return nil, errNoSuchRHP(c.pathID())
	}
	return p, nil
}

func (s *Server) rhpNamed(name, self string) bool {
	for _, p := range s.rhps {
		if p.ID != self && deref(p.cfg.Name) == name {
			return true
		}
	}
	return false
}

func (s *Server) createRHP(c *call) error {
	n, cfg, err := s.readRHP(c)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.rhpNamed(*cfg.Name, "") {
		return errRHPExists(*cfg.Name)
	}
	p := &responseHeadersPolicy{policy: policy{ID: newRequestID(), ETag: newID(), Modified: s.now().UTC(), Raw: n}, cfg: cfg}
	s.rhps[p.ID] = p
	s.saveLocked()
	c.w.Header().Set("Location", s.Endpoint+"/"+APIVersion+"/response-headers-policy/"+p.ID)
	return c.replyRaw(http.StatusCreated, p.ETag, policyXML("ResponseHeadersPolicy", &p.policy, true, true))
}

func (s *Server) getRHP(c *call) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	p, err := s.rhp(c)
	if err != nil {
		return err
	}
	return c.replyRaw(http.StatusOK, p.ETag, policyXML("ResponseHeadersPolicy", &p.policy, true, true))
}

func (s *Server) getRHPConfig(c *call) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	p, err := s.rhp(c)
	if err != nil {
		return err
	}
	return c.replyRaw(http.StatusOK, p.ETag, configXML(p.Raw))
}

func (s *Server) updateRHP(c *call) error {
	etag, err := c.ifMatch()
	if err != nil {
		return err
	}
	n, cfg, err := s.readRHP(c)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p, err := s.rhp(c)
	if err == nil {
		err = checkETag(etag, p.ETag)
	}
	if err != nil {
		return err
	}
	if s.rhpNamed(*cfg.Name, p.ID) {
		return errRHPExists(*cfg.Name)
	}
	p.Raw, p.cfg, p.ETag, p.Modified = n, cfg, newID(), s.now().UTC()
	s.saveLocked()
	return c.replyRaw(http.StatusOK, p.ETag, policyXML("ResponseHeadersPolicy", &p.policy, true, true))
}

func (s *Server) deleteRHP(c *call) error {
	etag, err := c.ifMatch()
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p, err := s.rhp(c)
	if err == nil {
		err = checkETag(etag, p.ETag)
	}
	if err != nil {
		return err
	}
	if users := s.distsUsing(func(cfg *types.DistributionConfig) bool { return slices.Contains(rhpIDs(cfg), p.ID) }); len(users) > 0 {
		return errRHPInUse(p.ID, users)
	}
	delete(s.rhps, p.ID)
	s.saveLocked()
	c.w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) listRHPs(c *call) error {
	q := c.r.URL.Query()
	typ := q.Get("Type")
	if typ != "" && typ != "managed" && typ != "custom" {
		return errInvalidArgument("Type must be managed or custom, not %q", typ)
	}
	maxItems, err := parseMaxItems(q.Get("MaxItems"))
	if err != nil {
		return err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	var ids []string
	if typ != "managed" { // no managed response headers policy is kept here
		ids = slices.Sorted(maps.Keys(s.rhps))
	}
	page, next := paginate(ids, q.Get("Marker"), maxItems, func(id string) string { return id })
	var b bytes.Buffer
	b.WriteString(xmlHeader + `<ResponseHeadersPolicyList xmlns="` + Namespace + `">`)
	if next != "" {
		leaf(&b, "NextMarker", next)
	}
	leaf(&b, "MaxItems", fmt.Sprint(maxItems))
	leaf(&b, "Quantity", fmt.Sprint(len(page)))
	if len(page) > 0 {
		b.WriteString("<Items>")
		for _, id := range page {
			b.WriteString("<ResponseHeadersPolicySummary><Type>custom</Type>")
			b.Write(policyXML("ResponseHeadersPolicy", &s.rhps[id].policy, true, false))
			b.WriteString("</ResponseHeadersPolicySummary>")
		}
		b.WriteString("</Items>")
	}
	b.WriteString("</ResponseHeadersPolicyList>")
	return c.replyRaw(http.StatusOK, "", b.Bytes())
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
	q := c.r.URL.Query()
	typ := q.Get("Type")
	if typ != "" && typ != "managed" && typ != "custom" {
		return errInvalidArgument("Type must be managed or custom, not %q", typ)
	}
	maxItems, err := parseMaxItems(q.Get("MaxItems"))
	if err != nil {
		return err
	}
	var rows []managedPolicy
	if typ != "custom" {
		rows = slices.SortedFunc(slices.Values(ps), func(a, b managedPolicy) int { return strings.Compare(a.id, b.id) })
	}
	page, next := paginate(rows, q.Get("Marker"), maxItems, func(p managedPolicy) string { return p.id })
	var b bytes.Buffer
	b.WriteString(xmlHeader + "<" + root + `List xmlns="` + Namespace + `">`)
	if next != "" {
		leaf(&b, "NextMarker", next)
	}
	leaf(&b, "MaxItems", fmt.Sprint(maxItems))
	leaf(&b, "Quantity", fmt.Sprint(len(page)))
	if len(page) > 0 {
		b.WriteString("<Items>")
		for _, p := range page {
			b.WriteString("<" + root + "Summary><Type>managed</Type>")
			b.Write(managedXML(root, p, false, false))
			b.WriteString("</" + root + "Summary>")
		}
		b.WriteString("</Items>")
	}
	b.WriteString("</" + root + "List>")
	return c.replyRaw(http.StatusOK, "", b.Bytes())
}

func (s *Server) getCachePolicy(c *call) error {
	return getManaged(c, "CachePolicy", managedCachePolicies, false, errNoSuchCachePolicy)
}

func (s *Server) getCachePolicyConfig(c *call) error {
	return getManaged(c, "CachePolicy", managedCachePolicies, true, errNoSuchCachePolicy)
}

func (s *Server) listCachePolicies(c *call) error {
	return listManaged(c, "CachePolicy", managedCachePolicies)
}

func (s *Server) getOriginRequestPolicy(c *call) error {
	return getManaged(c, "OriginRequestPolicy", managedOriginRequestPolicies, false, errNoSuchOriginRequestPolicy)
}

func (s *Server) getOriginRequestPolicyConfig(c *call) error {
	return getManaged(c, "OriginRequestPolicy", managedOriginRequestPolicies, true, errNoSuchOriginRequestPolicy)
}

func (s *Server) listOriginRequestPolicies(c *call) error {
	return listManaged(c, "OriginRequestPolicy", managedOriginRequestPolicies)
}
