package provider

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	resttypes "github.com/aws/aws-sdk-go-v2/service/apigateway/types"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/securestream/terraform-provider-securestream/internal/diagnostics"
)

// This file is api_type = "rest": a regional REST API whose root resource
// proxies GET, POST and OPTIONS to the function (payload 1.0; the issuer
// answers the CORS preflight itself), deployed to the stage "live".

const (
	apiTypeREST = "rest"
	restStage   = "live"
	// restAllMethods is the method settings key for every method.
	restAllMethods = "*/*"
)

var restFix = "The provider's credentials need apigateway:POST, PUT, PATCH and GET on /restapis and its children, and apigateway:TagResource."

func (r *issuerResource) createRESTAPI(ctx context.Context, m *issuerModel) diag.Diagnostics {
	var diags diag.Diagnostics
	fn := m.FunctionName.ValueString()
	api, err := r.clients.APIGateway.CreateRestApi(ctx, &apigateway.CreateRestApiInput{Name: aws.String(fn),
		Description:           aws.String("securestream stream key issuer " + fn),
		EndpointConfiguration: &resttypes.EndpointConfiguration{Types: []resttypes.EndpointType{resttypes.EndpointTypeRegional}}, Tags: r.tags(fn)})
	if err != nil {
		diags.Append(diagnostics.AWSCall("apigateway:CreateRestApi (step 4 of the issuer: its REST API)", err, restFix))
		return diags
	}
	m.APIID = types.StringPointerValue(api.Id)
	root, err := r.restRoot(ctx, api.Id)
	if err != nil {
		diags.Append(diagnostics.AWSCall("apigateway:GetResources (the REST API's root)", err, restFix))
		return diags
	}
	partition, _ := accountOf(m.FunctionARN.ValueString())
	uri := fmt.Sprintf("arn:%s:apigateway:%s:lambda:path/2015-03-31/functions/%s/invocations", partition, r.clients.Config.Region, m.FunctionARN.ValueString())
	for _, method := range corsMethods {
		if _, err := r.clients.APIGateway.PutMethod(ctx, &apigateway.PutMethodInput{RestApiId: api.Id, ResourceId: root,
			HttpMethod: aws.String(method), AuthorizationType: aws.String("NONE")}); err != nil {
			diags.Append(diagnostics.AWSCall("apigateway:PutMethod ("+method+" /)", err, restFix))
			return diags
		}
		if _, err := r.clients.APIGateway.PutIntegration(ctx, &apigateway.PutIntegrationInput{RestApiId: api.Id, ResourceId: root,
			HttpMethod: aws.String(method), Type: resttypes.IntegrationTypeAwsProxy, IntegrationHttpMethod: aws.String("POST"), Uri: aws.String(uri)}); err != nil {
			diags.Append(diagnostics.AWSCall("apigateway:PutIntegration ("+method+" /)", err, restFix))
			return diags
		}
	}
	if _, err := r.clients.APIGateway.CreateDeployment(ctx, &apigateway.CreateDeploymentInput{RestApiId: api.Id, StageName: aws.String(restStage)}); err != nil {
		diags.Append(diagnostics.AWSCall("apigateway:CreateDeployment (stage "+restStage+")", err, restFix))
		return diags
	}
	m.StageName = types.StringValue(restStage)
	m.InvokeURL = types.StringValue(fmt.Sprintf("https://%s.execute-api.%s.amazonaws.com/%s/", aws.ToString(api.Id), r.clients.Config.Region, restStage))
	return r.updateRESTThrottling(ctx, m)
}

// restRoot is the id of the API's "/" resource.
func (r *issuerResource) restRoot(ctx context.Context, api *string) (*string, error) {
	out, err := r.clients.APIGateway.GetResources(ctx, &apigateway.GetResourcesInput{RestApiId: api})
	if err != nil {
		return nil, err
	}
	for _, res := range out.Items {
		if aws.ToString(res.Path) == "/" {
			return res.Id, nil
		}
	}
	return nil, errors.New("the REST API has no root resource")
}

// updateRESTThrottling sets the stage's throttling for every method.
func (r *issuerResource) updateRESTThrottling(ctx context.Context, m *issuerModel) diag.Diagnostics {
	var diags diag.Diagnostics
	ops := []resttypes.PatchOperation{
		{Op: resttypes.OpReplace, Path: aws.String("/" + restAllMethods + "/throttling/rateLimit"),
			Value: aws.String(strconv.FormatFloat(m.ThrottleRateLimit.ValueFloat64(), 'f', -1, 64))},
		{Op: resttypes.OpReplace, Path: aws.String("/" + restAllMethods + "/throttling/burstLimit"),
			Value: aws.String(strconv.FormatInt(m.ThrottleBurstLimit.ValueInt64(), 10))},
	}
	if _, err := r.clients.APIGateway.UpdateStage(ctx, &apigateway.UpdateStageInput{RestApiId: m.APIID.ValueStringPointer(),
		StageName: aws.String(restStage), PatchOperations: ops}); err != nil {
		diags.Append(diagnostics.AWSCall("apigateway:UpdateStage (throttling of stage "+restStage+")", err, restFix))
	}
	return diags
}

func (r *issuerResource) deleteRESTAPI(ctx context.Context, apiID string) diag.Diagnostics {
	var diags diag.Diagnostics
	_, err := r.clients.APIGateway.DeleteRestApi(ctx, &apigateway.DeleteRestApiInput{RestApiId: aws.String(apiID)})
	var nf *resttypes.NotFoundException
	if err != nil && !errors.As(err, &nf) {
		diags.Append(diagnostics.AWSCall("apigateway:DeleteRestApi", err, "The provider's credentials need apigateway:DELETE on the REST API."))
	}
	return diags
}

// findRESTAPI finds the issuer's REST API by its tag (import).
func (r *issuerResource) findRESTAPI(ctx context.Context, function string) (*string, error) {
	p := apigateway.NewGetRestApisPaginator(r.clients.APIGateway, &apigateway.GetRestApisInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, a := range page.Items {
			if a.Tags[issuerTag] == function {
				return a.Id, nil
			}
		}
	}
	return nil, nil
}

// readRESTAPI reads the invoke URL and the stage's throttling into m.
func (r *issuerResource) readRESTAPI(ctx context.Context, m *issuerModel) diag.Diagnostics {
	var diags diag.Diagnostics
	st, err := r.clients.APIGateway.GetStage(ctx, &apigateway.GetStageInput{RestApiId: m.APIID.ValueStringPointer(), StageName: aws.String(restStage)})
	var nf *resttypes.NotFoundException
	if errors.As(err, &nf) { // deleted outside Terraform: ModifyPlan replaces the issuer
		m.APIID, m.InvokeURL = types.StringNull(), types.StringNull()
		return nil
	}
	if err != nil {
		diags.Append(diagnostics.AWSCall("apigateway:GetStage", err, "The provider's credentials need apigateway:GET on the REST API."))
		return diags
	}
	m.StageName = types.StringValue(restStage)
	m.InvokeURL = types.StringValue(fmt.Sprintf("https://%s.execute-api.%s.amazonaws.com/%s/", m.APIID.ValueString(), r.clients.Config.Region, restStage))
	if s, ok := st.MethodSettings[restAllMethods]; ok {
		m.ThrottleRateLimit, m.ThrottleBurstLimit = types.Float64Value(s.ThrottlingRateLimit), types.Int64Value(int64(s.ThrottlingBurstLimit))
	}
	return diags
}
