package cloudfront

import "strings"

// CloudFront answers Create, Get, GetConfig, Update and List with every
// member of a distribution's configuration present, the ones the request
// left out filled with their defaults (clients such as hashicorp/aws read
// OriginGroups.Quantity and the like without checking for nil). The
// defaults are those of the aws-cli example output of
// `aws cloudfront create-distribution` and the API reference's
// DistributionConfig, Origin, DefaultCacheBehavior and CacheBehavior
// pages; the members' order is botocore's (service-2.json), as
// CloudFront writes them.

// member is a member of a configuration element: its name, the default
// filled in when it is absent ("" for none: it stays absent), and how to
// fill the inside of it when it is present.
type member struct {
	name string
	def  string
	fill func(*node)
}

const (
	qty0          = "<Quantity>0</Quantity>"
	getHead       = "<Quantity>2</Quantity><Items><Method>HEAD</Method><Method>GET</Method></Items>"
	cachedGetHead = "<CachedMethods>" + getHead + "</CachedMethods>"
)

var distributionConfigMembers = []member{
	{name: "CallerReference"},
	{name: "Aliases", def: qty0},
	{name: "DefaultRootObject", def: "-"},
	{name: "Origins", fill: fillItems(originMembers)},
	{name: "OriginGroups", def: qty0},
	{name: "DefaultCacheBehavior", fill: fillBehavior(false)},
	{name: "CacheBehaviors", def: qty0, fill: fillItems(nil)},
	{name: "CustomErrorResponses", def: qty0},
	{name: "Comment"},
	{name: "Logging", def: "<Enabled>false</Enabled><IncludeCookies>false</IncludeCookies><Bucket></Bucket><Prefix></Prefix>",
		fill: fillMembers([]member{{name: "Enabled", def: "false"}, {name: "IncludeCookies", def: "false"}, {name: "Bucket", def: "-"}, {name: "Prefix", def: "-"}})},
	{name: "PriceClass", def: "PriceClass_All"},
	{name: "Enabled"},
	{name: "ViewerCertificate", def: "<CloudFrontDefaultCertificate>true</CloudFrontDefaultCertificate>", fill: fillViewerCertificate},
	{name: "Restrictions", def: "<GeoRestriction><RestrictionType>none</RestrictionType>" + qty0 + "</GeoRestriction>"},
	{name: "WebACLId", def: "-"},
	{name: "HttpVersion", def: "http2"},
	{name: "IsIPV6Enabled", def: "true"},
	{name: "ContinuousDeploymentPolicyId", def: "-"},
	{name: "Staging", def: "false"},
}

var originMembers = []member{
	{name: "Id"},
	{name: "DomainName"},
	{name: "OriginPath", def: "-"},
	{name: "CustomHeaders", def: qty0},
	{name: "S3OriginConfig"},
	{name: "CustomOriginConfig", fill: fillMembers([]member{{name: "HTTPPort"}, {name: "HTTPSPort"}, {name: "OriginProtocolPolicy"},
		{name: "OriginSslProtocols"}, {name: "OriginReadTimeout", def: "30"}, {name: "OriginKeepaliveTimeout", def: "5"}})},
	{name: "VpcOriginConfig"},
	{name: "ConnectionAttempts", def: "3"},
	{name: "ConnectionTimeout", def: "10"},
	{name: "OriginShield", def: "<Enabled>false</Enabled>"},
	{name: "OriginAccessControlId", def: "-"},
}

func behaviorMembers(listed bool) []member {
	var ms []member
	if listed {
		ms = append(ms, member{name: "PathPattern"})
	}
	return append(ms,
		member{name: "TargetOriginId"},
		member{name: "TrustedSigners", def: "<Enabled>false</Enabled>" + qty0},
		member{name: "TrustedKeyGroups", def: "<Enabled>false</Enabled>" + qty0},
		member{name: "ViewerProtocolPolicy"},
		member{name: "AllowedMethods", def: getHead + cachedGetHead, fill: fillMembers([]member{{name: "Quantity"}, {name: "Items"}, {name: "CachedMethods", def: getHead}})},
		member{name: "SmoothStreaming", def: "false"},
		member{name: "Compress", def: "false"},
		member{name: "LambdaFunctionAssociations", def: qty0},
		member{name: "FunctionAssociations", def: qty0},
		member{name: "FieldLevelEncryptionId", def: "-"},
		member{name: "RealtimeLogConfigArn"},
		member{name: "CachePolicyId"},
		member{name: "OriginRequestPolicyId"},
		member{name: "ResponseHeadersPolicyId"},
		member{name: "GrpcConfig"},
		member{name: "ForwardedValues"},
		member{name: "MinTTL"},
		member{name: "DefaultTTL"},
		member{name: "MaxTTL"},
	)
}

// fillBehavior fills a cache behavior (listed: one of CacheBehaviors,
// with a PathPattern). The legacy cache settings (ForwardedValues) get
// CloudFront's TTL defaults; with a cache policy there are none.
func fillBehavior(listed bool) func(*node) {
	ms := behaviorMembers(listed)
	return func(n *node) {
		fillMembers(ms)(n)
		if fv := n.child("ForwardedValues"); fv != nil {
			fillMembers([]member{{name: "QueryString"}, {name: "Cookies"}, {name: "Headers", def: qty0},
				{name: "QueryStringCacheKeys", def: qty0}})(fv)
			ttl := []member{{name: "MinTTL", def: "0"}, {name: "DefaultTTL", def: "86400"}, {name: "MaxTTL", def: "31536000"}}
			for _, m := range ttl {
				if n.child(m.name) == nil {
					n.Kids = append(n.Kids, &node{Name: m.name, Text: m.def})
				}
			}
			fillMembers(ms)(n) // back in order
		}
	}
}

// fillViewerCertificate adds what CloudFront reports of the certificate
// in use: its source, and the minimum protocol version.
func fillViewerCertificate(n *node) {
	source := "cloudfront"
	switch {
	case n.child("ACMCertificateArn") != nil:
		source = "acm"
	case n.child("IAMCertificateId") != nil:
		source = "iam"
	}
	fillMembers([]member{{name: "CloudFrontDefaultCertificate"}, {name: "IAMCertificateId"}, {name: "ACMCertificateArn"},
		{name: "SSLSupportMethod"}, {name: "MinimumProtocolVersion", def: "TLSv1"}, {name: "Certificate"},
		{name: "CertificateSource", def: source}})(n)
}

// fillItems fills each element of a list's Items with ms (nil: a list
// of cache behaviors).
func fillItems(ms []member) func(*node) {
	return func(n *node) {
		items := n.child("Items")
		if items == nil {
			return
		}
		for _, k := range items.Kids {
			if ms == nil {
				fillBehavior(true)(k)
			} else {
				fillMembers(ms)(k)
			}
		}
	}
}

// fillMembers returns a filler that adds the absent members of ms that
// have a default, fills the present ones, and puts them in ms's order
// (members ms does not name keep their place after them).
func fillMembers(ms []member) func(*node) {
	return func(n *node) {
		var kids []*node
		for _, m := range ms {
			k := n.child(m.name)
			switch {
			case k == nil && m.def == "":
				continue
			case k == nil:
				k = defaultNode(m.name, m.def)
			}
			if m.fill != nil {
				m.fill(k)
			}
			kids = append(kids, k)
		}
		for _, k := range n.Kids {
			if !slicesContainsName(ms, k.Name) {
				kids = append(kids, k)
			}
		}
		n.Kids = kids
	}
}

func slicesContainsName(ms []member, name string) bool {
	for _, m := range ms {
		if m.name == name {
			return true
		}
	}
	return false
}

// defaultNode builds the element name holding def: "-" for an empty
// value, elements when def starts with "<", a value otherwise.
func defaultNode(name, def string) *node {
	switch {
	case def == "-":
		return &node{Name: name}
	case strings.HasPrefix(def, "<"):
		n, err := parseXML(strings.NewReader("<"+name+">"+def+"</"+name+">"), name)
		if err != nil {
			panic("cloudfront: a default is not XML: " + err.Error())
		}
		return n
	}
	return &node{Name: name, Text: def}
}

// withDefaults fills a DistributionConfig document with CloudFront's
// defaults, in place, and returns it.
func withDefaults(n *node) *node {
	fillMembers(distributionConfigMembers)(n)
	// An origin without a type is an S3 origin (hashicorp/aws sends one
	// so, with an origin access control).
	if items := n.child("Origins").child("Items"); items != nil {
		for _, o := range items.Kids {
			if o.child("S3OriginConfig") == nil && o.child("CustomOriginConfig") == nil && o.child("VpcOriginConfig") == nil {
				o.Kids = append(o.Kids, defaultNode("S3OriginConfig", "<OriginAccessIdentity></OriginAccessIdentity>"))
				fillMembers(originMembers)(o)
			}
		}
	}
	return n
}
