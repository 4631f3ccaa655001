package cloudfront

import (
	"bytes"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/cloudfront/types"
)

// maxDistributionsPerFunction is CloudFront's quota.
const maxDistributionsPerFunction = 100

// distribution is a distribution: its configuration as sent, and that
// configuration decoded for the checks and the edge.
type distribution struct {
	ID       string    `json:"id"`
	ARN      string    `json:"arn"`
	Domain   string    `json:"domain"`
	ETag     string    `json:"etag"`
	Modified time.Time `json:"modified"`
	// DeployedAt is when the last change finishes deploying.
	DeployedAt time.Time `json:"deployedAt"`
	Raw        *node     `json:"config"`
	// Port is the distribution's own edge listener's port.
	Port int `json:"port,omitempty"`
	// ConfigSince is when the configuration was made; Earlier are the
	// ones it replaced that edge locations may still serve (see
	// propagation.go), oldest first.
	ConfigSince time.Time       `json:"configSince"`
	Earlier     []*servedConfig `json:"earlier,omitempty"`
	// Tags are the distribution's tags (tags.go).
	Tags map[string]string `json:"tags,omitempty"`

	cfg *types.DistributionConfig
	// history is every configuration d had, oldest first (history.go).
	history []*types.DistributionConfig
}

func (d *distribution) status(now time.Time) string {
	if now.Before(d.DeployedAt) {
		return "InProgress"
	}
	return "Deployed"
}

// behaviors returns the cache behaviors in the order CloudFront matches
// them: the listed ones, then the default (PathPattern "*").
func (d *distribution) behaviors() []types.CacheBehavior {
	var bs []types.CacheBehavior
	if d.cfg.CacheBehaviors != nil {
		bs = append(bs, d.cfg.CacheBehaviors.Items...)
	}
	def := d.cfg.DefaultCacheBehavior
	star := "*"
	return append(bs, types.CacheBehavior{PathPattern: &star, TargetOriginId: def.TargetOriginId,
		ViewerProtocolPolicy: def.ViewerProtocolPolicy, AllowedMethods: def.AllowedMethods,
		CachePolicyId: def.CachePolicyId, OriginRequestPolicyId: def.OriginRequestPolicyId, ResponseHeadersPolicyId: def.ResponseHeadersPolicyId,
		FunctionAssociations: def.FunctionAssociations, LambdaFunctionAssociations: def.LambdaFunctionAssociations})
}

// functionARNs returns the ARNs of the functions d's behaviors use.
func (d *distribution) functionARNs() []string {
	var arns []string
	for _, b := range d.behaviors() {
		if b.FunctionAssociations != nil {
			for _, a := range b.FunctionAssociations.Items {
				arns = append(arns, deref(a.FunctionARN))
			}
		}
	}
	return arns
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

// decodeConfig decodes a stored or sent DistributionConfig.
func decodeConfig(n *node) (*types.DistributionConfig, error) {
	cfg := &types.DistributionConfig{}
	if err := n.decode(reflect.ValueOf(cfg).Elem(), "DistributionConfig"); err != nil {
		return nil, err
	}
	return cfg, nil
}

// readConfig reads and checks the DistributionConfig in the request body.
// s.mu must be held.
func (s *Server) readConfig(c *call, self string) (*node, *types.DistributionConfig, error) {
	n, err := parseXML(c.r.Body, "DistributionConfig")
	if err != nil {
		return nil, nil, err
	}
	return s.checkConfigNode(n, self)
}

// checkConfigNode fills a DistributionConfig document with CloudFront's
// defaults, decodes it and checks it. s.mu must be held.
func (s *Server) checkConfigNode(n *node, self string) (*node, *types.DistributionConfig, error) {
	cfg, err := decodeConfig(n)
	if err != nil {
		return nil, nil, err
	}
	if err := s.checkConfig(cfg, self); err != nil {
		return nil, nil, err
	}
	// Decoded again with the defaults: the edge reads them too.
	cfg, err = decodeConfig(withDefaults(n))
	return n, cfg, err
}

func required(what string) error {
	return errMalformedXML("1 validation error detected: Value null at '%s' failed to satisfy constraint: Member must not be null", what)
}

// checkConfig checks what CloudFront checks of a configuration: required
// members, origins, and the function association rules. self is the
// distribution being updated ("" at create). s.mu must be held.
func (s *Server) checkConfig(cfg *types.DistributionConfig, self string) error {
	switch {
	case cfg.CallerReference == nil:
		return required("DistributionConfig.CallerReference")
	case cfg.Comment == nil:
		return required("DistributionConfig.Comment")
	case cfg.Enabled == nil:
		return required("DistributionConfig.Enabled")
	case cfg.Origins == nil || len(cfg.Origins.Items) == 0:
		return required("DistributionConfig.Origins")
	case cfg.DefaultCacheBehavior == nil:
		return required("DistributionConfig.DefaultCacheBehavior")
	}
	origins := map[string]bool{}
	for _, o := range cfg.Origins.Items {
		if o.Id == nil || o.DomainName == nil {
			return required("Origin.Id and Origin.DomainName")
		}
		if origins[*o.Id] {
			return errInvalidArgument("two origins have the Id %q; origin ids must be unique", *o.Id)
		}
		origins[*o.Id] = true
	}
	if cfg.OriginGroups != nil {
		for _, g := range cfg.OriginGroups.Items {
			origins[deref(g.Id)] = true
		}
	}
	d := &distribution{cfg: cfg}
	for _, b := range d.behaviors() {
		pattern := deref(b.PathPattern)
		switch {
		case b.PathPattern == nil:
			return required("CacheBehavior.PathPattern")
		case b.TargetOriginId == nil:
			return required(fmt.Sprintf("CacheBehavior(%s).TargetOriginId", pattern))
		case b.ViewerProtocolPolicy == "":
			return required(fmt.Sprintf("CacheBehavior(%s).ViewerProtocolPolicy", pattern))
		case !origins[*b.TargetOriginId]:
			return errNoSuchOrigin(pattern, *b.TargetOriginId)
		}
		if err := s.checkAssociations(b, pattern, self); err != nil {
			return err
		}
	}
	dcb := cfg.DefaultCacheBehavior
	if dcb.CachePolicyId == nil && dcb.ForwardedValues == nil { //nolint:staticcheck // legacy settings are still valid input, as at CloudFront
		return errInvalidArgument("the default cache behavior must include either CachePolicyId or ForwardedValues")
	}
	return s.checkPolicyRefs(cfg)
}

// checkAssociations enforces CloudFront's rules on one behavior's function
// associations: viewer events only, one function per event type, LIVE
// functions only, no CloudFront Function beside a Lambda@Edge function
// on the same viewer event.
func (s *Server) checkAssociations(b types.CacheBehavior, pattern, self string) error {
	if b.FunctionAssociations == nil {
		return nil
	}
	seen := map[types.EventType]bool{}
	for _, a := range b.FunctionAssociations.Items {
		if a.EventType != types.EventTypeViewerRequest && a.EventType != types.EventTypeViewerResponse {
			return errMalformedXML("1 validation error detected: Value '%s' at 'distributionConfig.cacheBehavior(%s).functionAssociations.eventType' "+
				"failed to satisfy constraint: Member must satisfy value set: [viewer-request, viewer-response]", a.EventType, pattern)
		}
		if seen[a.EventType] {
			return errInvalidFunctionAssociation(
				"The cache behavior %s has more than one function for %s; associate one function per event type.", pattern, a.EventType)
		}
		seen[a.EventType] = true
		arn := deref(a.FunctionARN)
		name, _ := strings.CutPrefix(arn, "arn:aws:cloudfront::"+s.cfg.AccountID+":function/")
		f := s.functions[name]
		if f == nil || f.ARN != arn {
			return errNoSuchFunctionInAccount(arn, s.cfg.AccountID)
		}
		if f.Live == nil {
			return errInvalidFunctionAssociation(
				"The function %s is not published: only LIVE functions can be associated with a distribution. Publish it first.", f.Name)
		}
		if users := s.usersOf(arn); len(users) >= maxDistributionsPerFunction && !slices.Contains(users, self) {
			return errTooManyDistributionsWithFunction(f.Name, len(users))
		}
	}
	if b.LambdaFunctionAssociations != nil {
		for _, l := range b.LambdaFunctionAssociations.Items {
			if seen[l.EventType] {
				return errInvalidFunctionAssociation(
					"The cache behavior %s has a CloudFront Function and a Lambda@Edge function for %s; use one.", pattern, l.EventType)
			}
		}
	}
	return nil
}

func (s *Server) createDistribution(c *call) error {
	n, err := parseXML(c.r.Body, "DistributionConfig")
	if err != nil {
		return err
	}
	return s.addDistribution(c, n, nil)
}

// createDistributionWithTags is CreateDistributionWithTags, the call
// hashicorp/aws always creates with: a DistributionConfigWithTags
// document holding the DistributionConfig and the Tags (botocore
// DistributionConfigWithTags, both required).
func (s *Server) createDistributionWithTags(c *call) error {
	doc, err := parseXML(c.r.Body, "DistributionConfigWithTags")
	if err != nil {
		return err
	}
	var cfgNode, tagsNode *node
	for _, k := range doc.Kids {
		switch {
		case k.Name == "DistributionConfig" && cfgNode == nil:
			cfgNode = k
		case k.Name == "Tags" && tagsNode == nil:
			tagsNode = k
		default:
			return errMalformedXML("unexpected element DistributionConfigWithTags/%s: it holds one DistributionConfig and one Tags", k.Name)
		}
	}
	if cfgNode == nil {
		return required("DistributionConfigWithTags.DistributionConfig")
	}
	if tagsNode == nil {
		return required("DistributionConfigWithTags.Tags")
	}
	var tags types.Tags
	if err := tagsNode.decode(reflect.ValueOf(&tags).Elem(), "DistributionConfigWithTags/Tags"); err != nil {
		return err
	}
	tagMap, err := checkTags(&tags)
	if err != nil {
		return err
	}
	if len(tagMap) > maxTags {
		return errInvalidTagging("a resource can have at most %d tags, not %d", maxTags, len(tagMap))
	}
	return s.addDistribution(c, cfgNode, tagMap)
}

// addDistribution creates a distribution of the DistributionConfig
// document n, once checked (checkConfigNode), with tags, and answers with
// it: CreateDistribution and CreateDistributionWithTags alike.
func (s *Server) addDistribution(c *call, n *node, tags map[string]string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	raw, cfg, err := s.checkConfigNode(n, "")
	if err != nil {
		return err
	}
	for _, d := range s.dists {
		if deref(d.cfg.CallerReference) == *cfg.CallerReference {
			return errDistributionAlreadyExists(*cfg.CallerReference, d.ID)
		}
	}
	d := &distribution{ID: newID(), Raw: raw, cfg: cfg, ConfigSince: s.now().UTC()}
	if len(tags) > 0 {
		d.Tags = tags
	}
	d.ARN = "arn:aws:cloudfront::" + s.cfg.AccountID + ":distribution/" + d.ID
	d.Domain = "d" + strings.ToLower(newID()[1:]) + ".cloudfront.net"
	s.redeploy(d)
	s.dists[d.ID] = d
	s.openEdgePort(d)
	s.saveLocked()
	c.w.Header().Set("Location", s.Endpoint+"/"+APIVersion+"/distribution/"+d.ID)
	return c.replyRaw(http.StatusCreated, d.ETag, s.distributionXML(d))
}

// redeploy records a change of d: a new ETag, InProgress until the change
// is deployed and has reached every edge location. s.mu must be held.
func (s *Server) redeploy(d *distribution) {
	d.ETag = newID()
	d.Modified = s.now().UTC()
	d.DeployedAt = d.Modified.Add(max(s.cfg.DeployDelay, s.cfg.PropagationDelay))
}

// dist returns the distribution named in the path. s.mu must be held.
func (s *Server) dist(c *call) (*distribution, error) {
	id, _ := url.PathUnescape(c.arg)
	d := s.dists[id]
	if d == nil {
		return nil, errNoSuchDistribution(id)
	}
	return d, nil
}

// writeDist runs write, under s.mu held for writing, on the distribution
// named in the path once the If-Match header is there and is its ETag.
func (s *Server) writeDist(c *call, write func(*distribution) error) error {
	etag, err := c.ifMatch()
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	d, err := s.dist(c)
	if err == nil {
		err = checkETag(etag, d.ETag)
	}
	if err != nil {
		return err
	}
	return write(d)
}

// readDist answers with the distribution named in the path, as body
// renders it under s.mu held for reading, and its ETag.
func (s *Server) readDist(c *call, body func(*distribution) []byte) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	d, err := s.dist(c)
	if err != nil {
		return err
	}
	return c.replyRaw(http.StatusOK, d.ETag, body(d))
}

func (s *Server) getDistribution(c *call) error {
	return s.readDist(c, s.distributionXML)
}

func (s *Server) getDistributionConfig(c *call) error {
	return s.readDist(c, func(d *distribution) []byte {
		var b bytes.Buffer
		b.WriteString(xmlHeader)
		d.Raw.write(&b, true)
		return b.Bytes()
	})
}

func (s *Server) updateDistribution(c *call) error {
	return s.writeDist(c, func(d *distribution) error {
		raw, cfg, err := s.readConfig(c, d.ID)
		if err != nil {
			return err
		}
		if *cfg.CallerReference != deref(d.cfg.CallerReference) {
			return errCallerReferenceChanged()
		}
		s.reconfigure(d, raw, cfg)
		s.redeploy(d)
		s.saveLocked()
		return c.replyRaw(http.StatusOK, d.ETag, s.distributionXML(d))
	})
}

func (s *Server) deleteDistribution(c *call) error {
	return s.writeDist(c, func(d *distribution) error {
		if deref(d.cfg.Enabled) || d.status(s.now()) != "Deployed" {
			return errDistributionNotDisabled(d.ID)
		}
		delete(s.dists, d.ID)
		s.closeEdgePort(d.ID)
		s.saveLocked()
		c.w.WriteHeader(http.StatusNoContent)
		return nil
	})
}

func (s *Server) listDistributions(c *call) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return listKept(c, "Distribution", s.dists, func(b *bytes.Buffer, d *distribution) {
		d.header(b, s.now(), d.ETag)
		for _, name := range summaryMembers {
			if k := d.Raw.child(name); k != nil {
				k.write(b, false)
			}
		}
		if d.Raw.child("Staging") == nil {
			leaf(b, "Staging", "false")
		}
	})
}

// summaryMembers are the DistributionConfig members a DistributionSummary
// repeats, in its order.
var summaryMembers = []string{"Aliases", "Origins", "OriginGroups", "DefaultCacheBehavior", "CacheBehaviors",
	"CustomErrorResponses", "Comment", "PriceClass", "Enabled", "ViewerCertificate", "Restrictions", "WebACLId",
	"HttpVersion", "IsIPV6Enabled", "Staging"}

const xmlHeader = `<?xml version="1.0" encoding="UTF-8"?>` + "\n"

func leaf(b *bytes.Buffer, name, text string) {
	(&node{Name: name, Text: text}).write(b, false)
}

// header writes the members a Distribution and a DistributionSummary
// start with.
// A DistributionSummary carries the ETag too (etag; "" in a
// Distribution, whose ETag is a header).
func (d *distribution) header(b *bytes.Buffer, now time.Time, etag string) {
	leaf(b, "Id", d.ID)
	leaf(b, "ARN", d.ARN)
	if etag != "" {
		leaf(b, "ETag", etag)
	}
	leaf(b, "Status", d.status(now))
	leaf(b, "LastModifiedTime", timestamp(d.Modified))
	leaf(b, "DomainName", d.Domain)
}

// distributionXML is the Distribution document, with the configuration
// as it was sent and CloudFront's defaults. s.mu must be held.
func (s *Server) distributionXML(d *distribution) []byte {
	var b bytes.Buffer
	b.WriteString(xmlHeader + `<Distribution xmlns="` + Namespace + `">`)
	d.header(&b, s.now(), "")
	leaf(&b, "InProgressInvalidationBatches", "0")
	b.WriteString("<ActiveTrustedSigners><Enabled>false</Enabled><Quantity>0</Quantity></ActiveTrustedSigners>")
	b.WriteString("<ActiveTrustedKeyGroups><Enabled>false</Enabled><Quantity>0</Quantity></ActiveTrustedKeyGroups>")
	d.Raw.write(&b, false)
	b.WriteString("</Distribution>")
	return b.Bytes()
}
