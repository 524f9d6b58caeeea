// Command list-applications is the Lambda function behind one API route.
package main

import "github.com/berth-dev/berth/shared/boot"

func main() { boot.Lambda("list-applications", boot.Ports{}) }
