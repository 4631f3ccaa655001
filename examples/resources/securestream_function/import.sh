# Import by the function's name; the arguments that render the code (the key
# ring and the settings) come from the configuration, and the next plan shows
# a change only if the deployed code differs from what they render.
terraform import securestream_function.edge video-edge
