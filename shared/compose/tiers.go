package compose

import (
	"net/netip"

	"github.com/berth-dev/berth/shared/validation"
)

// maxIPAllow bounds originProtectionConfig.ipAllow: each entry would become
// a source-ip value on a listener rule, and ALB allows few per rule.
const maxIPAllow = 50

// normalizeTiers checks spotConfiguration and fills the networking tiers'
// default, false: isolated, which is what Berth provides.
func (d *Definition) normalizeTiers(errs validation.Errors, p string) {
	d.CheckSpot(errs, p)
	if d.EnableCrossEnvNetworking == nil {
		d.EnableCrossEnvNetworking = ptr(false)
	}
	if d.EnableCrossAppNetworking == nil {
		d.EnableCrossAppNetworking = ptr(false)
	}
}

// CheckSpot checks spotConfiguration's strategy, under path p.
func (d *Definition) CheckSpot(errs validation.Errors, p string) {
	if s := d.SpotConfiguration; s != nil {
		switch s.Strategy {
		case "":
			errs.Add(validation.Join(p, "spotConfiguration.strategy"), "is required when spotConfiguration is set")
		case SpotOff, SpotOnly, SpotMixedSafe, SpotMixedAggressive:
		default:
			errs.Addf(validation.Join(p, "spotConfiguration.strategy"), "must be one of %s, %s, %s, %s", SpotOff, SpotOnly, SpotMixedSafe, SpotMixedAggressive)
		}
	}
}

// UsesSpot reports whether d asks for any Spot capacity.
func (d *Definition) UsesSpot() bool {
	return d.SpotConfiguration != nil && d.SpotConfiguration.Strategy != SpotOff
}

// MixedSpot reports whether d asks for a mix, which needs two tasks or more.
func (d *Definition) MixedSpot() bool {
	s := d.SpotConfiguration
	return s != nil && (s.Strategy == SpotMixedSafe || s.Strategy == SpotMixedAggressive)
}

// normalizeOriginProtection checks originProtectionConfig and settles
// originProtection from it: the config's enabled (true when the object is
// sent) decides, and an originProtection that says otherwise is an error.
func (c *Container) normalizeOriginProtection(errs validation.Errors, p string) {
	cfg := c.OriginProtectionConfig
	if cfg == nil {
		return
	}
	cp := validation.Join(p, "originProtectionConfig")
	if cfg.Enabled == nil {
		cfg.Enabled = ptr(true)
	}
	switch {
	case c.OriginProtection == nil:
		c.OriginProtection = ptr(*cfg.Enabled)
	case *c.OriginProtection != *cfg.Enabled:
		errs.Add(validation.Join(p, "originProtection"), "must agree with originProtectionConfig.enabled, or be left out")
	}
	if len(cfg.IPAllow) > maxIPAllow {
		errs.Addf(cp+".ipAllow", "must hold at most %d items", maxIPAllow)
	}
	for i, a := range cfg.IPAllow {
		if _, err := netip.ParsePrefix(a); err == nil {
			continue
		}
		if _, err := netip.ParseAddr(a); err != nil {
			errs.Add(validation.Index(cp+".ipAllow", i), "must be an IP address or CIDR range, such as 203.0.113.7 or 203.0.113.0/24")
		}
	}
	if h := cfg.RedirectHost; h != nil && !isHostName(*h) {
		errs.Add(cp+".redirectHost", "must be a bare host name such as www.example.com: no scheme, port or path, at most 253 characters")
	}
}

// isHostName accepts a DNS name of letter-digit-hyphen labels.
func isHostName(s string) bool {
	if s == "" || len(s) > 253 {
		return false
	}
	label := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '.':
			if label == 0 || s[i-1] == '-' {
				return false
			}
			label = 0
			continue
		case c == '-':
			if label == 0 {
				return false
			}
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		default:
			return false
		}
		if label++; label > 63 {
			return false
		}
	}
	return label > 0 && s[len(s)-1] != '-'
}
