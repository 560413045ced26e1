package workflows

import "occonnect/activities"

// a is a nil *activities.Activities. The workflows call activities by name (package
// contract); the mocks name them by method (env.OnActivity(a.SendEmail, …)), which the SDK
// resolves to the same name, so a renamed method fails these tests at compile time.
var a *activities.Activities
