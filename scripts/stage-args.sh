# Sourced by deploy.sh and package.sh: reads --stage and --region (either spelling) from "$@" into
# $stage and $region, empty when not given.
stage='' region='' previous=''
for arg in "$@"; do
  case $previous in
    --stage | -s) stage=$arg ;;
    --region | -r) region=$arg ;;
  esac
  case $arg in
    --stage=*) stage=${arg#--stage=} ;;
    --region=*) region=${arg#--region=} ;;
  esac
  previous=$arg
done
