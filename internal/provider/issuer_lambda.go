package provider

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	logstypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/securestream/terraform-provider-securestream/internal/diagnostics"
	"github.com/securestream/terraform-provider-securestream/internal/issuerpkg"
)

// This file is the issuer's Lambda function and its log group.

// issuerPackage is the package to deploy: package_path's file, or the
// package built into the provider for architecture.
func issuerPackage(m *issuerModel) ([]byte, diag.Diagnostics) {
	var diags diag.Diagnostics
	if p := m.PackagePath.ValueString(); p != "" {
		b, err := os.ReadFile(p)
		if err != nil {
			diags.AddAttributeError(path.Root("package_path"), "Cannot read the issuer package", err.Error())
		}
		return b, diags
	}
	b, err := issuerpkg.Package(m.Architecture.ValueString())
	if err != nil {
		diags.AddAttributeError(path.Root("architecture"), "No issuer package", err.Error())
	}
	return b, diags
}

// createLogGroup creates /aws/lambda/<function> with its retention before
// the function, so that Lambda does not create it without one. adopt
// takes over a group that exists (left by an interrupted create).
func (r *issuerResource) createLogGroup(ctx context.Context, m *issuerModel, adopt bool) diag.Diagnostics {
	var diags diag.Diagnostics
	name := logGroupName(m.FunctionName.ValueString())
	_, err := r.clients.Logs.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String(name), Tags: r.tags(m)})
	if adopt && isA[*logstypes.ResourceAlreadyExistsException](err) {
		err = nil
	}
	if err != nil {
		diags.Append(diagnostics.AWSCall("logs:CreateLogGroup (step 2 of the issuer: its log group)", err,
			fmt.Sprintf("The provider's credentials need logs:CreateLogGroup and logs:TagResource, and %s must not exist yet (delete it, or import the issuer).", name)))
		return diags
	}
	m.LogGroupName = types.StringValue(name)
	return r.putRetention(ctx, m)
}

func (r *issuerResource) putRetention(ctx context.Context, m *issuerModel) diag.Diagnostics {
	var diags diag.Diagnostics
	if _, err := r.clients.Logs.PutRetentionPolicy(ctx, &cloudwatchlogs.PutRetentionPolicyInput{
		LogGroupName: m.LogGroupName.ValueStringPointer(), RetentionInDays: aws.Int32(int32Of(m.LogRetentionDays)),
	}); err != nil {
		diags.Append(diagnostics.AttributeAWSCall(path.Root("log_retention_days"), "logs:PutRetentionPolicy", err,
			"The provider's credentials need logs:PutRetentionPolicy, and the value must be one CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, ...)."))
	}
	return diags
}

func (r *issuerResource) deleteLogGroup(ctx context.Context, function string) diag.Diagnostics {
	var diags diag.Diagnostics
	_, err := r.clients.Logs.DeleteLogGroup(ctx, &cloudwatchlogs.DeleteLogGroupInput{LogGroupName: aws.String(logGroupName(function))})
	if err != nil && !isA[*logstypes.ResourceNotFoundException](err) {
		diags.Append(diagnostics.AWSCall("logs:DeleteLogGroup", err, "The provider's credentials need logs:DeleteLogGroup."))
	}
	return diags
}

// logRetention reads the log group's retention; found is false when the
// group is gone.
func (r *issuerResource) logRetention(ctx context.Context, function string) (days int64, found bool, err error) {
	name := logGroupName(function)
	out, err := r.clients.Logs.DescribeLogGroups(ctx, &cloudwatchlogs.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String(name)})
	if err != nil {
		return 0, false, err
	}
	for _, g := range out.LogGroups {
		if aws.ToString(g.LogGroupName) == name {
			return int64(aws.ToInt32(g.RetentionInDays)), true, nil
		}
	}
	return 0, false, nil
}

// functionEnv is the Lambda environment: the key ring, its key, and the
// settings.
func functionEnv(m *issuerModel, settings map[string]string) map[string]string {
	env := map[string]string{envKeyring: m.ringCiphertext().ValueString(), envKMSKeyID: m.KMSKeyARN.ValueString()}
	for k, v := range settings {
		env[k] = v
	}
	for _, s := range sealedSettings {
		if _, ct := m.sealedFields(s); !ct.IsNull() && !ct.IsUnknown() {
			env[s.env] = ct.ValueString()
		}
	}
	return env
}

// createFunction creates the function into m.FunctionARN and waits until
// it is Active. A role IAM has just made is not assumable by Lambda for a
// few seconds: that answer, and a conflict with an update in progress, are
// retried until ctx ends.
func (r *issuerResource) createFunction(ctx context.Context, m *issuerModel, pkg []byte, env map[string]string) diag.Diagnostics {
	var diags diag.Diagnostics
	in := &lambda.CreateFunctionInput{
		FunctionName: m.FunctionName.ValueStringPointer(), Role: m.RoleARN.ValueStringPointer(),
		Runtime: lambdatypes.RuntimeProvidedal2023, Handler: aws.String("bootstrap"),
		Architectures: []lambdatypes.Architecture{lambdatypes.Architecture(m.Architecture.ValueString())},
		Code:          &lambdatypes.FunctionCode{ZipFile: pkg},
		MemorySize:    aws.Int32(int32Of(m.MemorySize)), Timeout: aws.Int32(int32Of(m.Timeout)),
		Environment:   &lambdatypes.Environment{Variables: env},
		Description:   aws.String(description(m)),
		TracingConfig: &lambdatypes.TracingConfig{Mode: tracingMode(m)},
		Tags:          r.tags(m),
	}
	var out *lambda.CreateFunctionOutput
	err := r.retryLambda(ctx, func() (err error) { out, err = r.clients.Lambda.CreateFunction(ctx, in); return err })
	if err != nil {
		diags.Append(diagnostics.AWSCall("lambda:CreateFunction (step 3 of the issuer: its function)", err,
			"The provider's credentials need lambda:CreateFunction, lambda:TagResource and iam:PassRole on the issuer's role; "+
				"the function name must be free (import the issuer if the function is yours)."))
		return diags
	}
	m.FunctionARN = types.StringPointerValue(out.FunctionArn)
	m.SourceCodeHash = types.StringPointerValue(out.CodeSha256)
	diags.Append(r.waitFunction(ctx, m.FunctionName.ValueString())...)
	if diags.HasError() || m.ReservedConcurrency.IsNull() { // a new function reserves nothing: no call to remove it
		return diags
	}
	return r.putConcurrency(ctx, m)
}

// retryable says whether Lambda's answer is one that passes: the new role
// not yet assumable (IAM propagates it within seconds), or another update
// of the function in progress. A conflict with an object that exists (a
// function of that name, its URL, a statement id) does not pass.
func retryable(err error) bool {
	var conflict *lambdatypes.ResourceConflictException
	var invalid *lambdatypes.InvalidParameterValueException
	return (errors.As(err, &conflict) && !isAlreadyExists(conflict.ErrorMessage())) ||
		(errors.As(err, &invalid) && strings.Contains(strings.ToLower(invalid.ErrorMessage()), "role"))
}

// retryLambda calls until Lambda's answer is not retryable, paced by
// r.lambdaRetry, until ctx ends (the resource's timeouts).
func (r *issuerResource) retryLambda(ctx context.Context, call func() error) error {
	err := r.lambdaRetry.retry(ctx, retryable, call)
	if err != nil && retryable(err) {
		return fmt.Errorf("%w (still failing when the operation timed out; raise timeouts.create or timeouts.update, as in timeouts = { create = \"20m\" })", err)
	}
	return err
}

// waitFunction waits until the function is Active and its last update
// Successful (emulators leave LastUpdateStatus out on create).
func (r *issuerResource) waitFunction(ctx context.Context, function string) diag.Diagnostics {
	var diags diag.Diagnostics
	var c *lambda.GetFunctionConfigurationOutput
	err := r.functionPoll.poll(ctx, func() (bool, error) {
		var err error
		if c, err = r.clients.Lambda.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String(function)}); err != nil {
			diags.Append(diagnostics.AWSCall("lambda:GetFunctionConfiguration (waiting for the function)", err,
				"The provider's credentials need lambda:GetFunctionConfiguration."))
			return false, err
		}
		switch {
		case c.State == lambdatypes.StateFailed || c.LastUpdateStatus == lambdatypes.LastUpdateStatusFailed:
			diags.AddError("The issuer function failed to deploy",
				fmt.Sprintf("Lambda reports state %s, last update %s: %s %s. Fix the cause (often the package or the role) and apply again.",
					c.State, c.LastUpdateStatus, aws.ToString(c.StateReason), aws.ToString(c.LastUpdateStatusReason)))
			return false, errFunctionFailed
		case c.State == lambdatypes.StateActive && (c.LastUpdateStatus == "" || c.LastUpdateStatus == lambdatypes.LastUpdateStatusSuccessful):
			return true, nil
		}
		return false, nil
	})
	if err != nil && !diags.HasError() { // ctx ended while Lambda still worked on it
		diags.AddError("Timed out waiting for the issuer function",
			fmt.Sprintf("Lambda still reports state %s, last update %s; raise timeouts.create or timeouts.update (timeouts = { create = \"20m\" }), then apply again.", c.State, c.LastUpdateStatus))
	}
	return diags
}

// errFunctionFailed ends waitFunction's poll; the diagnostic says why.
var errFunctionFailed = errors.New("the issuer function failed to deploy")

// putConcurrency sets or removes the reserved concurrency.
func (r *issuerResource) putConcurrency(ctx context.Context, m *issuerModel) diag.Diagnostics {
	var diags diag.Diagnostics
	err := r.retryLambda(ctx, func() (err error) {
		if m.ReservedConcurrency.IsNull() {
			_, err = r.clients.Lambda.DeleteFunctionConcurrency(ctx, &lambda.DeleteFunctionConcurrencyInput{FunctionName: m.FunctionName.ValueStringPointer()})
		} else {
			_, err = r.clients.Lambda.PutFunctionConcurrency(ctx, &lambda.PutFunctionConcurrencyInput{FunctionName: m.FunctionName.ValueStringPointer(),
				ReservedConcurrentExecutions: aws.Int32(int32Of(m.ReservedConcurrency))})
		}
		return err
	})
	if err != nil {
		diags.Append(diagnostics.AttributeAWSCall(path.Root("reserved_concurrency"), "lambda:PutFunctionConcurrency/DeleteFunctionConcurrency", err,
			"The provider's credentials need lambda:PutFunctionConcurrency and lambda:DeleteFunctionConcurrency; the account must keep 10 unreserved."))
	}
	return diags
}

// updateFunction brings code, configuration and concurrency in line with
// the plan, each only when it changed.
func (r *issuerResource) updateFunction(ctx context.Context, plan, state *issuerModel, env map[string]string, pkg []byte) diag.Diagnostics {
	var diags diag.Diagnostics
	fn := plan.FunctionName.ValueStringPointer()
	if !plan.SourceCodeHash.Equal(state.SourceCodeHash) || !plan.Architecture.Equal(state.Architecture) {
		err := r.retryLambda(ctx, func() error {
			_, err := r.clients.Lambda.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{FunctionName: fn, ZipFile: pkg,
				Architectures: []lambdatypes.Architecture{lambdatypes.Architecture(plan.Architecture.ValueString())}})
			return err
		})
		if err != nil {
			diags.Append(diagnostics.AWSCall("lambda:UpdateFunctionCode", err, "The provider's credentials need lambda:UpdateFunctionCode."))
			return diags
		}
		if diags.Append(r.waitFunction(ctx, *fn)...); diags.HasError() {
			return diags
		}
	}
	// The whole environment and the issuer's role, each time: what was
	// edited outside Terraform (the refresh's drift) is put back with the
	// rest.
	in := &lambda.UpdateFunctionConfigurationInput{FunctionName: fn,
		MemorySize: aws.Int32(int32Of(plan.MemorySize)), Timeout: aws.Int32(int32Of(plan.Timeout)),
		Environment: &lambdatypes.Environment{Variables: env},
		Description: aws.String(description(plan)), TracingConfig: &lambdatypes.TracingConfig{Mode: tracingMode(plan)}}
	if !plan.RoleARN.IsNull() && !plan.RoleARN.IsUnknown() {
		in.Role = plan.RoleARN.ValueStringPointer()
	}
	err := r.retryLambda(ctx, func() error {
		_, err := r.clients.Lambda.UpdateFunctionConfiguration(ctx, in)
		return err
	})
	if err != nil {
		diags.Append(diagnostics.AWSCall("lambda:UpdateFunctionConfiguration", err,
			"The provider's credentials need lambda:UpdateFunctionConfiguration, and iam:PassRole on the issuer's role "+plan.RoleARN.ValueString()+"."))
		return diags
	}
	if diags.Append(r.waitFunction(ctx, *fn)...); diags.HasError() {
		return diags
	}
	if !plan.ReservedConcurrency.Equal(state.ReservedConcurrency) {
		diags.Append(r.putConcurrency(ctx, plan)...)
	}
	return diags
}

// description is the function's description: description, or the default.
func description(m *issuerModel) string {
	if d := m.Description.ValueString(); d != "" {
		return d
	}
	return defaultIssuerDescription
}

// tracingMode is the function's X-Ray mode: tracing, or PassThrough.
func tracingMode(m *issuerModel) lambdatypes.TracingMode {
	if m.Tracing.ValueString() == tracingActive {
		return lambdatypes.TracingModeActive
	}
	return lambdatypes.TracingModePassThrough
}

func (r *issuerResource) deleteFunction(ctx context.Context, function string) diag.Diagnostics {
	var diags diag.Diagnostics
	err := r.retryLambda(ctx, func() error {
		_, err := r.clients.Lambda.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: aws.String(function)})
		return err
	})
	if err != nil && !isA[*lambdatypes.ResourceNotFoundException](err) {
		diags.Append(diagnostics.AWSCall("lambda:DeleteFunction", err, "The provider's credentials need lambda:DeleteFunction."))
	}
	return diags
}
