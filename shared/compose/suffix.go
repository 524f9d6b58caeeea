package compose

import "fmt"

// ApplyImageSuffix points every internal image at the tag
// {containerName}-{suffix}, as Quant does for preview environments
// (nginx-pr-456). External images keep their identifier.
func (d *Definition) ApplyImageSuffix(suffix string) {
	for i := range d.Containers {
		c := &d.Containers[i]
		if c.ImageReference != nil && c.ImageReference.Type == ImageInternal {
			c.ImageReference.Identifier = SuffixedTag(c.Name, suffix)
		}
	}
}

// SuffixedTag is the image tag a suffix gives a container.
func SuffixedTag(container, suffix string) string {
	return fmt.Sprintf("%s-%s", container, suffix)
}
