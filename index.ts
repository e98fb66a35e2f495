import * as pulumi from "@pulumi/pulumi";
import { runStack } from "./layers";

// The stack name picks the layer; everything else lives in layers/.
export = runStack(pulumi.getStack());
